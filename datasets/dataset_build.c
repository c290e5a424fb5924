/* Vocabulary, windowing, splitting, output and statistics for datasets (see dataset_build.h). */
#include "dataset_build.h"
#include "memory.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- vocabulary ---- */

typedef struct rank_item {
    int64_t count;
    const char *name;
    int32_t index;
} rank_item;

static int rank_cmp(const void *a, const void *b) {
    const rank_item *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

void vocabulary_by_rank(const string_table *names, const int64_t *counts, int32_t *id_of, vocabulary *v) {
    int32_t n = names->count;
    rank_item *items = xmalloc((size_t)(n ? n : 1) * sizeof *items);
    int32_t used = 0;
    for (int32_t i = 0; i < n; i++) {
        id_of[i] = 0;
        if (counts[i] > 0) items[used++] = (rank_item){counts[i], string_table_get(names, i), i};
    }
    qsort(items, (size_t)used, sizeof *items, rank_cmp);
    v->size = used;
    v->names = xcalloc((size_t)(used ? used : 1), sizeof(char *));
    v->counts = xcalloc((size_t)(used ? used : 1), sizeof(int64_t));
    for (int32_t r = 0; r < used; r++) {
        id_of[items[r].index] = r + 1;
        v->names[r] = xstrdup(items[r].name);
        v->counts[r] = items[r].count;
    }
    free(items);
}

/* ---- building ---- */

static void fill_common(dataset *out, const trace_set *ts, const char *name, const char *command_line, int length,
                        int stride, const char *events, const char *split) {
    snprintf(out->name, sizeof out->name, "%s", name);
    out->length = length;
    out->stride = stride;
    snprintf(out->events, sizeof out->events, "%s", events);
    snprintf(out->split, sizeof out->split, "%s", split);
    out->command_line = command_line ? xstrdup(command_line) : NULL;
    out->source_count = ts->source_count;
    out->sources = xcalloc((size_t)(ts->source_count ? ts->source_count : 1), sizeof(char *));
    for (int32_t i = 0; i < ts->source_count; i++) out->sources[i] = xstrdup(ts->sources[i]);
}

/* Paper-layout and .npy inputs: windows, split and IDs are kept as given
 * (names are the IDs themselves), so the layout round-trips unchanged. */
static int build_windowed(const trace_set *ts, const build_options *opt, const char *name, const char *command_line,
                          dataset *out, error_info *err) {
    const window_set *tr = &ts->given_training, *te = &ts->given_testing;
    int length = tr->count ? tr->length : te->length;
    if (tr->count + te->count == 0) return error_set(err, "the inputs hold no windows");
    if (tr->count && te->count && tr->length != te->length)
        return error_set(err, "the training windows have %d events but the testing windows %d", tr->length, te->length);
    if (opt->length && opt->length != length)
        return error_set(err, "the input windows have %d events, but --length %d was asked for (windows cannot be re-cut)",
                         length, opt->length);
    int32_t max_id = 0;
    const window_set *sets[2] = {tr, te};
    for (int s = 0; s < 2; s++)
        for (int64_t i = 0; i < sets[s]->count * length; i++)
            if (sets[s]->ids[i] > max_id) max_id = sets[s]->ids[i];
    if (max_id > DATASET_MAX_VOCAB && ts->given_vocab.size < max_id)
        return error_set(err, "the input windows hold event ID %d; IDs are vocabulary ranks 1..V with V at most %d "
                         "(damaged input?)", max_id, DATASET_MAX_VOCAB);
    memset(out, 0, sizeof *out);
    fill_common(out, ts, name, command_line, length, 0, "unknown", "given");
    /* An empty split has no array at all (memcpy from NULL is undefined even for 0 bytes). */
    window_set_init(&out->training, tr->count, length);
    if (tr->count) memcpy(out->training.ids, tr->ids, (size_t)tr->count * (size_t)length * sizeof(int32_t));
    window_set_init(&out->testing, te->count, length);
    if (te->count) memcpy(out->testing.ids, te->ids, (size_t)te->count * (size_t)length * sizeof(int32_t));
    if (ts->given_vocab.size >= max_id) { /* windows of one dataset .h5: its names stay */
        const vocabulary *g = &ts->given_vocab;
        out->vocab.size = g->size;
        out->vocab.names = xcalloc((size_t)g->size + 1, sizeof(char *));
        out->vocab.counts = xcalloc((size_t)g->size + 1, sizeof(int64_t));
        for (int32_t i = 0; i < g->size; i++) {
            out->vocab.names[i] = xstrdup(g->names[i]);
            out->vocab.counts[i] = g->counts[i];
        }
        return 0;
    }
    vocabulary_numeric(&out->vocab, max_id);
    for (int s = 0; s < 2; s++)
        for (int64_t i = 0; i < sets[s]->count * length; i++) out->vocab.counts[sets[s]->ids[i] - 1]++;
    return 0;
}

static int64_t windows_in(int64_t events, int length, int stride) {
    return events >= length ? (events - length) / stride + 1 : 0;
}

int dataset_build(const trace_set *ts, const build_options *opt, const char *name, const char *command_line,
                  dataset *out, error_info *err) {
    memset(out, 0, sizeof *out);
    if (opt->test_fraction < 0 || opt->test_fraction >= 1)
        return error_set(err, "--test-fraction %g: must be at least 0 and below 1", opt->test_fraction);
    if (ts->windowed) return build_windowed(ts, opt, name, command_line, out, err);
    int L = opt->length ? opt->length : 200, S = opt->stride;
    if (L < 1) return error_set(err, "--length %d: must be at least 1", L);
    if (S < 1) return error_set(err, "--stride %d: must be at least 1", S);
    if (ts->seq_count == 0) return error_set(err, "no input traces");

    /* Vocabulary over all parsed events, so that every event in either split has an ID. */
    int32_t V = ts->names.count;
    int64_t *counts = xcalloc((size_t)(V ? V : 1), sizeof *counts);
    int64_t total_events = 0, longest = 0;
    for (int32_t s = 0; s < ts->seq_count; s++) {
        const trace_sequence *q = &ts->seqs[s];
        for (int64_t i = 0; i < q->count; i++) counts[q->tokens[i]]++;
        total_events += q->count;
        if (q->count > longest) longest = q->count;
    }
    int32_t *id_of = xmalloc((size_t)(V ? V : 1) * sizeof *id_of);
    vocabulary vocab = {0};
    vocabulary_by_rank(&ts->names, counts, id_of, &vocab);
    free(counts);

    int32_t runs = ts->run_keys.count;
    int64_t *run_windows = xcalloc((size_t)(runs ? runs : 1), sizeof *run_windows);
    int64_t total_windows = 0;
    for (int32_t s = 0; s < ts->seq_count; s++) {
        int64_t w = windows_in(ts->seqs[s].count, L, S);
        run_windows[ts->seqs[s].run] += w;
        total_windows += w;
    }
    int rc = 0;
    if (total_windows == 0) {
        rc = error_set(err, "too little data: the longest trace has %lld events (%lld in all), but one window needs %d; "
                       "use a smaller --length or capture more",
                       (long long)longest, (long long)total_events, L);
        goto done;
    }
    /* Decide which windows go to testing. */
    char *run_is_test = xcalloc((size_t)(runs ? runs : 1), 1);
    int64_t n_test = 0;
    if (opt->split == SPLIT_RUN) {
        int32_t runs_with_windows = 0;
        for (int32_t r = 0; r < runs; r++) runs_with_windows += run_windows[r] > 0;
        if (opt->test_fraction > 0) {
            if (runs_with_windows < 2) {
                free(run_is_test);
                rc = error_set(err, "--split run needs at least two input traces (runs) with %d or more events each; "
                               "found %d (pass more runs, or use --split window)", L, runs_with_windows);
                goto done;
            }
            /* Runs from the end of the input list go to testing until the share is reached;
             * at least one run on each side. */
            double want = opt->test_fraction * (double)total_windows;
            int32_t test_runs = 0;
            for (int32_t r = runs - 1; r >= 0; r--) {
                if (run_windows[r] == 0) continue;
                /* Take the run only while that brings the share closer to the target. */
                if (test_runs > 0 && fabs((double)(n_test + run_windows[r]) - want) >= fabs((double)n_test - want)) break;
                if (test_runs + 1 >= runs_with_windows) break;
                run_is_test[r] = 1;
                n_test += run_windows[r];
                test_runs++;
            }
        }
    } else {
        n_test = (int64_t)floor(opt->test_fraction * (double)total_windows + 0.5);
        if (opt->test_fraction > 0 && n_test == 0) n_test = 1;
        if (n_test >= total_windows) {
            free(run_is_test);
            rc = error_set(err, "too little data: %lld window(s) of %d events cannot be split into training and testing; "
                           "capture more, use a smaller --length or --test-fraction 0",
                           (long long)total_windows, L);
            goto done;
        }
    }
    /* Every window is a copy of L events (4 bytes each); refuse before
     * allocating when they cannot fit (stride 1 makes L copies of each event). */
    {
        char what[160];
        snprintf(what, sizeof what, "%lld windows of %d events (stride %d)", (long long)total_windows, L, S);
        if (memory_check(name, what, 4.0 * (double)total_windows * (double)L, err)) {
            free(run_is_test);
            rc = -1;
            goto done;
        }
    }
    fill_common(out, ts, name, command_line, L, S, ts->events == EVENTS_ENTRY_EXIT ? "entry-exit" : "call",
                opt->split == SPLIT_RUN ? "run" : "window");
    window_set_init(&out->training, total_windows - n_test, L);
    window_set_init(&out->testing, n_test, L);
    int64_t k = 0, ntr = 0, nte = 0;
    for (int32_t s = 0; s < ts->seq_count; s++) {
        const trace_sequence *q = &ts->seqs[s];
        int64_t w = windows_in(q->count, L, S);
        for (int64_t i = 0; i < w; i++, k++) {
            int test = opt->split == SPLIT_RUN ? run_is_test[q->run] : k >= total_windows - n_test;
            int32_t *dst = test ? out->testing.ids + (nte++) * L : out->training.ids + (ntr++) * L;
            const int32_t *src = q->tokens + i * S;
            for (int j = 0; j < L; j++) dst[j] = id_of[src[j]];
        }
    }
    free(run_is_test);
    out->vocab = vocab;
    memset(&vocab, 0, sizeof vocab);
done:
    vocabulary_free(&vocab);
    free(run_windows);
    free(id_of);
    if (rc) dataset_free(out);
    return rc;
}

/* ---- output ---- */

int make_dirs(const char *path, error_info *err) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return error_set(err, "%s: path too long", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return error_set(err, "%s: cannot create directory: %s", buf, strerror(errno));
            *p = c;
            if (!c) break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) return error_set(err, "%s: not a directory", path);
    return 0;
}

/* Several output files that appear together or not at all: each is written
 * (atomically) under a staging name beside its final one, and all are
 * renamed into place only once every write succeeded. A failure removes the
 * staged files and leaves earlier outputs of the same name untouched. */
#define MAX_STAGED 8
typedef struct staged_outputs {
    int n;
    char final_path[MAX_STAGED][4400];
    char staged_path[MAX_STAGED][4500];
} staged_outputs;

static const char *stage(staged_outputs *s, const char *final_path) {
    int i = s->n++;
    snprintf(s->final_path[i], sizeof s->final_path[i], "%s", final_path);
    snprintf(s->staged_path[i], sizeof s->staged_path[i], "%s.%ld.staged", final_path, (long)getpid());
    return s->staged_path[i];
}

/* Removes what was staged; the message names the final file, not the staging name. */
static int stage_failed(staged_outputs *s, error_info *err) {
    for (int i = 0; i < s->n; i++) unlink(s->staged_path[i]);
    const char *last = s->n ? s->staged_path[s->n - 1] : NULL;
    char *at = last && err ? strstr(err->message, last) : NULL;
    if (at) {
        char rest[1024];
        snprintf(rest, sizeof rest, "%s", at + strlen(last));
        *at = 0;
        char head[1024];
        snprintf(head, sizeof head, "%s", err->message);
        error_set(err, "%s%s%s", head, s->final_path[s->n - 1], rest);
    }
    return -1;
}

static int stage_publish(staged_outputs *s, error_info *err) {
    for (int i = 0; i < s->n; i++)
        if (rename(s->staged_path[i], s->final_path[i]) != 0) {
            int e = errno;
            for (int k = i; k < s->n; k++) unlink(s->staged_path[k]);
            return error_set(err, "%s: cannot write (rename failed: %s)", s->final_path[i], strerror(e));
        }
    return 0;
}

int dataset_write_outputs(const dataset *ds, const char *dir, error_info *err) {
    char p[4400];
    snprintf(p, sizeof p, "%s/sequence_length_%d", dir, ds->length);
    if (make_dirs(p, err)) return -1;
    staged_outputs s = {0};
    snprintf(p, sizeof p, "%s/%s.h5", dir, ds->name);
    if (dataset_h5_write(stage(&s, p), ds, err)) return stage_failed(&s, err);
    snprintf(p, sizeof p, "%s/sequence_length_%d/training", dir, ds->length);
    if (windows_write_text(stage(&s, p), &ds->training, err)) return stage_failed(&s, err);
    snprintf(p, sizeof p, "%s/sequence_length_%d/testing", dir, ds->length);
    if (windows_write_text(stage(&s, p), &ds->testing, err)) return stage_failed(&s, err);
    return stage_publish(&s, err);
}

int dataset_export_layout(const dataset *ds, const char *dir, int npy, error_info *err) {
    char p[4400];
    snprintf(p, sizeof p, "%s/sequence_length_%d", dir, ds->length);
    if (make_dirs(p, err)) return -1;
    staged_outputs s = {0};
    const char *split[2] = {"training", "testing"};
    const window_set *sets[2] = {&ds->training, &ds->testing};
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/sequence_length_%d/%s", dir, ds->length, split[i]);
        if (windows_write_text(stage(&s, p), sets[i], err)) return stage_failed(&s, err);
        if (npy) {
            snprintf(p, sizeof p, "%s/sequence_length_%d/%s.npy", dir, ds->length, split[i]);
            if (windows_write_npy(stage(&s, p), sets[i], err)) return stage_failed(&s, err);
        }
    }
    return stage_publish(&s, err);
}

/* ---- statistics ---- */

static uint64_t hash_ids(const int32_t *w, int n) {
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n; i++) {
        h ^= (uint32_t)w[i];
        h *= 1099511628211ull;
        h ^= h >> 29;
    }
    return h;
}

/* Open-addressing set of int32 sequences of one length, stored by pointer. */
typedef struct seq_set {
    const int32_t **items;
    uint64_t *hashes;
    uint64_t mask;
    int64_t count;
    int length;
} seq_set;

static void seq_set_init(seq_set *s, int64_t expected, int length) {
    uint64_t cap = 16;
    while (cap < (uint64_t)expected * 2 + 2) cap *= 2;
    s->items = xcalloc(cap, sizeof *s->items);
    s->hashes = xcalloc(cap, sizeof *s->hashes);
    s->mask = cap - 1;
    s->count = 0;
    s->length = length;
}

static void seq_set_free(seq_set *s) {
    free(s->items);
    free(s->hashes);
}

/* Returns 1 when already present, else inserts (when insert) and returns 0. */
static int seq_set_probe(seq_set *s, const int32_t *w, uint64_t h, int insert) {
    uint64_t i = h & s->mask;
    while (s->items[i]) {
        if (s->hashes[i] == h && memcmp(s->items[i], w, (size_t)s->length * sizeof *w) == 0) return 1;
        i = (i + 1) & s->mask;
    }
    if (insert) {
        s->items[i] = w;
        s->hashes[i] = h;
        s->count++;
    }
    return 0;
}

/* The paper's layout does not record its stride: take the smallest shift S
 * for which most of the first consecutive window pairs overlap by L-S events. */
static int infer_stride(const window_set *ws) {
    int L = ws->length;
    int64_t pairs = ws->count - 1 < 20 ? ws->count - 1 : 20;
    if (pairs < 1) return 0;
    for (int S = 1; S < L; S++) {
        int64_t match = 0;
        for (int64_t i = 0; i < pairs; i++)
            match += memcmp(ws->ids + i * L + S, ws->ids + (i + 1) * L, (size_t)(L - S) * sizeof(int32_t)) == 0;
        if (match * 2 > pairs) return S;
    }
    return 0;
}

void dataset_compute_stats(const dataset *ds, dataset_stats *st) {
    memset(st, 0, sizeof *st);
    int L = ds->length;
    seq_set train, test;
    seq_set_init(&train, ds->training.count, L);
    seq_set_init(&test, ds->testing.count, L);
    for (int64_t i = 0; i < ds->training.count; i++) {
        const int32_t *w = ds->training.ids + i * L;
        seq_set_probe(&train, w, hash_ids(w, L), 1);
    }
    for (int64_t i = 0; i < ds->testing.count; i++) {
        const int32_t *w = ds->testing.ids + i * L;
        uint64_t h = hash_ids(w, L);
        seq_set_probe(&test, w, h, 1);
        st->testing_in_training += seq_set_probe(&train, w, h, 0);
    }
    st->distinct_training = train.count;
    st->distinct_testing = test.count;
    seq_set_free(&train);
    seq_set_free(&test);

    /* The training traces, rebuilt: consecutive windows that overlap by L-S
     * events continue one trace; every offset of it is a window a model has seen. */
    int S = ds->stride > 0 ? ds->stride : infer_stride(&ds->training);
    st->stride = S;
    st->testing_in_training_traces = -1;
    if (S <= 0 || S >= L || ds->training.count == 0) return;
    int64_t n = ds->training.count;
    int32_t *trace = xmalloc((size_t)(n * L) * sizeof *trace);
    char *starts_window = xcalloc((size_t)(n * L), 1); /* 1 where a window may start */
    int64_t len = 0, chain_start = 0;
    for (int64_t i = 0; i < n; i++) {
        const int32_t *w = ds->training.ids + i * L;
        int continues = i > 0 && len - chain_start >= L &&
                        memcmp(trace + len - (L - S), w, (size_t)(L - S) * sizeof *w) == 0;
        if (continues) {
            memcpy(trace + len, w + (L - S), (size_t)S * sizeof *w);
            len += S;
        } else {
            chain_start = len;
            memcpy(trace + len, w, (size_t)L * sizeof *w);
            len += L;
        }
        /* offsets whose window lies inside the current chain */
        for (int64_t k = (continues ? len - S - L + 1 : chain_start); k + L <= len; k++) starts_window[k] = 1;
    }
    seq_set all;
    seq_set_init(&all, len, L);
    for (int64_t k = 0; k + L <= len; k++)
        if (starts_window[k]) seq_set_probe(&all, trace + k, hash_ids(trace + k, L), 1);
    int64_t found = 0;
    for (int64_t i = 0; i < ds->testing.count; i++) {
        const int32_t *w = ds->testing.ids + i * L;
        found += seq_set_probe(&all, w, hash_ids(w, L), 0);
    }
    st->testing_in_training_traces = found;
    seq_set_free(&all);
    free(starts_window);
    free(trace);
}
