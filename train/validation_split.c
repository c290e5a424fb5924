/* Holding validation windows out of the training windows (see validation_split.h). */
#include "validation_split.h"

#include <math.h>
#include <string.h>

#include "trace_pieces.h"

static void copy_rows(const window_set *from, int64_t first, int64_t count, window_set *to) {
    window_set_init(to, count, from->length);
    memcpy(to->ids, from->ids + first * from->length, (size_t)count * (size_t)from->length * sizeof(int32_t));
}

int validation_split_make(const window_set *all, double fraction, int64_t min_training, validation_split *out,
                          error_info *err) {
    memset(out, 0, sizeof *out);
    int L = all->length;
    int64_t n = all->count;
    int64_t held = (int64_t)ceil(fraction * (double)n);
    if (held < 1) held = 1;
    int64_t first = n - held;
    int s = out->stride = trace_windows_stride(all);
    /* Walk back while each window continues into the next and still reaches the block. */
    int64_t keep = first;
    while (keep > 0 && (first - (keep - 1)) * (int64_t)s < L &&
           trace_windows_overlap(all->ids + (keep - 1) * L, all->ids + keep * L, L, s))
        keep--;
    out->left_out = first - keep;
    if (first < 0 || keep < min_training)
        return error_set(err,
                         "--val-split %g holds out %lld of %lld training windows (and leaves out %lld that overlap "
                         "them), which leaves %lld to train on, fewer than %lld; lower --val-split or --batch",
                         fraction, (long long)held, (long long)n, (long long)out->left_out,
                         (long long)(keep > 0 ? keep : 0), (long long)min_training);
    copy_rows(all, 0, keep, &out->training);
    copy_rows(all, first, held, &out->validation);
    return 0;
}

void validation_split_free(validation_split *v) {
    window_set_free(&v->training);
    window_set_free(&v->validation);
    memset(v, 0, sizeof *v);
}
