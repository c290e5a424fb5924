/* End-to-end test of the `forward` tool (path given as argv[1]): --init
 * writes a checkpoint; an IN.h5 written here (noisy, cond, t, dout) goes
 * through `forward`; eps and every trainable tensor's gradient in OUT.h5 must
 * equal the in-process forward/backward. Also a malformed input is refused. */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "philox.h"
#include "h5_util.h"
#include "test_util.h"

static int run(const char *cmd) {
    printf("$ %s\n", cmd);
    fflush(stdout);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_forward_tool PATH-TO-forward\n");
        return 2;
    }
    const char *tool = argv[1];
    char cmd[4096];
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const int B = 3, L = 24;
    snprintf(cmd, sizeof cmd, "%s --init --preset tiny --length %d --seed 3 --save fwd_ck.h5", tool, L);
    CHECK(run(cmd) == 0);

    /* Perturb the fresh model (its zero output layer would make eps trivially 0) and save it again. */
    error_info err;
    backend *be = backend_cpu_create(2);
    sssd_model *m = checkpoint_load("fwd_ck.h5", be, B, NULL, &err);
    CHECK_MSG(m != NULL, "%s", err.message);
    if (!m) return test_finish("forward_tool");
    real_t *p = sssd_model_params(m);
    for (long long i = 0; i < sssd_model_num_params(m); i++) p[i] += (real_t)(0.05 * philox_normal(8, 8, (uint64_t)i));
    CHECK(checkpoint_save("fwd_ck.h5", m, NULL, 0, &err) == 0);

    float noisy[3 * 24], cond[3 * 2 * 24], dout[3 * 24];
    int32_t t[3] = {0, 99, 199};
    for (int i = 0; i < B * L; i++) {
        noisy[i] = philox_normal(9, 1, (uint64_t)i);
        dout[i] = philox_normal(9, 2, (uint64_t)i);
    }
    for (int b = 0; b < B; b++)
        for (int l = 0; l < L; l++) {
            float mask = (l >= 10 && l < 14) ? 0.0f : 1.0f;
            cond[(b * 2) * L + l] = mask * (float)(1 + (l * 5 + b) % 9);
            cond[(b * 2 + 1) * L + l] = mask;
        }
    hid_t f = h5_create_checksummed("fwd_in.h5");
    hsize_t dn[3] = {3, 1, 24}, dc[3] = {3, 2, 24}, dt[1] = {3};
    H5LTmake_dataset_float(f, "noisy", 3, dn, noisy);
    H5LTmake_dataset_float(f, "cond", 3, dc, cond);
    H5LTmake_dataset_int(f, "t", 1, dt, t);
    H5LTmake_dataset_float(f, "dout", 3, dn, dout);
    H5Fclose(f);
    snprintf(cmd, sizeof cmd, "%s --checkpoint fwd_ck.h5 --input fwd_in.h5 --output fwd_out.h5 --device cpu --threads 2", tool);
    CHECK(run(cmd) == 0);

    /* the same computation in process (float inputs as the tool reads them) */
    real_t rn[3 * 24], rc[3 * 2 * 24], rd[3 * 24], eps[3 * 24];
    for (int i = 0; i < B * L; i++) rn[i] = noisy[i], rd[i] = dout[i];
    for (int i = 0; i < 2 * B * L; i++) rc[i] = cond[i];
    sssd_forward(m, B, rn, rc, t, eps);
    sssd_zero_grads(m);
    sssd_backward(m, rd);

    f = H5Fopen("fwd_out.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f < 0) return test_finish("forward_tool");
    float out[3 * 24];
    CHECK(H5LTread_dataset_float(f, "eps", out) >= 0);
    double worst = 0, scale = 0;
    for (int i = 0; i < B * L; i++) worst = fmax(worst, fabs(out[i] - eps[i])), scale = fmax(scale, fabs(eps[i]));
    CHECK(scale > 1e-3);
    CHECK_MSG(worst <= 1e-6 * (1 + scale), "eps differs from the in-process forward by %g", worst);
    int tensors = 0, bad = 0;
    for (int i = 0; i < sssd_model_tensor_count(m); i++) {
        const sssd_tensor_info *ti = sssd_model_tensor(m, i);
        if (!ti->trainable) {
            CHECK_MSG(H5Lexists(f, ti->name, H5P_DEFAULT) <= 0, "frozen buffer %s has no gradient", ti->name);
            continue;
        }
        float *g = malloc((size_t)ti->count * sizeof(float));
        hsize_t dims[4];
        H5T_class_t cls;
        size_t ts;
        int ok = H5LTget_dataset_info(f, ti->name, dims, &cls, &ts) >= 0 && H5LTread_dataset_float(f, ti->name, g) >= 0;
        for (int d = 0; ok && d < ti->ndim; d++) ok = dims[d] == (hsize_t)ti->shape[d];
        const real_t *ref = sssd_model_grads(m) + ti->offset;
        double gs = 0, gd = 0;
        for (long long k = 0; ok && k < ti->count; k++) gs = fmax(gs, fabs(ref[k])), gd = fmax(gd, fabs(g[k] - ref[k]));
        if (!ok || gd > 1e-5 * (1 + gs)) {
            bad++;
            fprintf(stderr, "gradient %s: %s (max diff %g)\n", ti->name, ok ? "differs" : "missing or misshapen", gd);
        }
        tensors++;
        free(g);
    }
    CHECK(bad == 0);
    CHECK(tensors > 50);
    H5Fclose(f);

    /* malformed input: no 't' */
    f = h5_create_checksummed("fwd_bad.h5");
    H5LTmake_dataset_float(f, "noisy", 3, dn, noisy);
    H5LTmake_dataset_float(f, "cond", 3, dc, cond);
    H5Fclose(f);
    snprintf(cmd, sizeof cmd, "%s --checkpoint fwd_ck.h5 --input fwd_bad.h5 --output fwd_out2.h5 2>fwd_err.txt", tool);
    CHECK(run(cmd) != 0);
    char msg[512] = "";
    FILE *e = fopen("fwd_err.txt", "r");
    if (e) {
        size_t n = fread(msg, 1, sizeof msg - 1, e);
        msg[n] = 0;
        fclose(e);
    }
    CHECK_STR_CONTAINS(msg, "'t' missing");
    /* wrong length */
    f = h5_create_checksummed("fwd_bad.h5");
    hsize_t short_dims[3] = {3, 1, 12};
    H5LTmake_dataset_float(f, "noisy", 3, short_dims, noisy);
    H5Fclose(f);
    snprintf(cmd, sizeof cmd, "%s --checkpoint fwd_ck.h5 --input fwd_bad.h5 --output fwd_out2.h5 2>/dev/null", tool);
    CHECK(run(cmd) != 0);

    remove("fwd_ck.h5");
    remove("fwd_in.h5");
    remove("fwd_out.h5");
    remove("fwd_bad.h5");
    remove("fwd_err.txt");
    sssd_model_free(m);
    backend_free(be);
    return test_finish("forward_tool");
}
