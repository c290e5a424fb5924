/* Checkpoints: save -> load round trip (parameters, buffers, Adam moments,
 * metadata, vocabulary, dataset facts, and bit-identical forward output),
 * checkpoints written before the dataset facts were recorded, and every
 * validation error with its message: missing file, not HDF5, truncated file,
 * foreign HDF5, a dataset file, unknown format version, missing tensor, wrong
 * shape, wrong dtype, unexpected tensor. Built in float and in double (where
 * values pass through float32 in the file). */
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

static const char *CK = "test_checkpoint_ck.h5";
static const char *BAD = "test_checkpoint_bad.h5";
static const char *T1 = "residual_layer/residual_blocks/1/S42/s4_layer/output_linear/weight";

static hid_t open_bad_copy(void) {
    test_copy_prefix(CK, BAD, -1);
    hid_t f = H5Fopen(BAD, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) die("test: cannot reopen copy");
    return f;
}

static void expect_load_error(backend *be, const char *path, const char *needle) {
    error_info err;
    err.message[0] = 0;
    checkpoint_meta meta;
    sssd_model *m = checkpoint_load(path, be, 1, &meta, &err);
    CHECK_MSG(m == NULL, "loading %s should fail (%s)", path, needle);
    if (m) sssd_model_free(m);
    CHECK_STR_CONTAINS(err.message, needle);
}

static void replace_dataset(hid_t f, const char *name, int ndim, const hsize_t *dims, hid_t type) {
    H5Ldelete(f, name, H5P_DEFAULT);
    hsize_t n = 1;
    for (int i = 0; i < ndim; i++) n *= dims[i];
    double *zeros = calloc(n, sizeof(double));
    hid_t space = H5Screate_simple(ndim, dims, NULL), lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t d = H5Dcreate2(f, name, type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (d < 0 || H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros) < 0) die("test: cannot write %s", name);
    H5Dclose(d);
    H5Pclose(lcpl);
    H5Sclose(space);
    free(zeros);
}

int main(void) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    sssd_config cfg;
    sssd_config_preset("tiny", 16, &cfg, NULL);
    cfg.res_channels = cfg.skip_channels = 8;
    cfg.emb_mid = cfg.emb_out = 32;
    int B = 2, L = 16;
    backend *be = backend_cpu_create(2);
    sssd_model *m = sssd_model_create(&cfg, be, B, 5);
    long long np = sssd_model_num_params(m), nb = sssd_model_num_buffers(m);
    real_t *p = sssd_model_params(m), *am = sssd_model_adam_m(m), *av = sssd_model_adam_v(m);
    for (long long i = 0; i < np; i++) {
        p[i] += (real_t)(0.1 * philox_normal(1, 1, (uint64_t)i));
        am[i] = (real_t)philox_normal(1, 2, (uint64_t)i);
        av[i] = (real_t)fabs(philox_normal(1, 3, (uint64_t)i));
    }
    checkpoint_meta meta;
    checkpoint_meta_init(&meta);
    meta.step = 1234;
    meta.seed = 0xFEEDFACECAFEBEEFULL;
    meta.rng_offset = 987654321;
    meta.best_metric = 0.125;
    meta.best_step = 1000;
    snprintf(meta.dataset, sizeof meta.dataset, "datasets/ffmpeg/ffmpeg.h5");
    snprintf(meta.events, sizeof meta.events, "entry-exit");
    meta.vocab_size = 3;
    snprintf(meta.task, sizeof meta.task, "mid:10");
    snprintf(meta.extra_json, sizeof meta.extra_json, "{\"lr\": 0.0002}");
    meta.vocab.size = 3;
    meta.vocab.names = xcalloc(3, sizeof(char *));
    meta.vocab.counts = xcalloc(3, sizeof(int64_t));
    const char *names[3] = {"read", "write", "épreuve"};
    for (int i = 0; i < 3; i++) meta.vocab.names[i] = xstrdup(names[i]), meta.vocab.counts[i] = 100 - i;
    error_info err;
    CHECK(checkpoint_save(CK, m, &meta, 1, &err) == 0);

    /* ---- round trip ---- */
    sssd_config cfg2;
    CHECK(checkpoint_read_config(CK, &cfg2, &err) == 0);
    CHECK(memcmp(&cfg, &cfg2, sizeof cfg) == 0);
    checkpoint_meta meta2;
    sssd_model *m2 = checkpoint_load(CK, be, B, &meta2, &err);
    CHECK_MSG(m2 != NULL, "%s", err.message);
    if (!m2) return test_finish("checkpoint");
    CHECK(sssd_model_num_params(m2) == np && sssd_model_num_buffers(m2) == nb);
    int same_p = 1, same_b = 1, same_o = 1;
    real_t *p2 = sssd_model_params(m2), *b1 = sssd_model_buffers(m), *b2 = sssd_model_buffers(m2);
    for (long long i = 0; i < np; i++) {
        same_p &= p2[i] == (real_t)(float)p[i];
        same_o &= sssd_model_adam_m(m2)[i] == (real_t)(float)am[i] && sssd_model_adam_v(m2)[i] == (real_t)(float)av[i];
    }
    for (long long i = 0; i < nb; i++) same_b &= b2[i] == (real_t)(float)b1[i];
    CHECK_MSG(same_p, "parameters changed in the round trip");
    CHECK_MSG(same_b, "buffers changed in the round trip");
    CHECK_MSG(same_o, "Adam moments changed in the round trip");
    CHECK(meta2.step == 1234 && meta2.seed == 0xFEEDFACECAFEBEEFULL && meta2.rng_offset == 987654321);
    CHECK(meta2.best_metric == 0.125 && meta2.best_step == 1000);
    CHECK(strcmp(meta2.dataset, meta.dataset) == 0 && strcmp(meta2.task, "mid:10") == 0);
    CHECK(strcmp(meta2.extra_json, meta.extra_json) == 0);
    CHECK(strcmp(meta2.events, "entry-exit") == 0 && meta2.vocab_size == 3);
    CHECK(meta2.vocab.size == 3 && strcmp(meta2.vocab.names[2], "épreuve") == 0 && meta2.vocab.counts[1] == 99);

    /* identical forward output (float: bit for bit) */
    real_t noisy[32], cond[64], e1[32], e2[32];
    int32_t t[2] = {5, 150};
    for (int i = 0; i < B * L; i++) noisy[i] = (real_t)philox_normal(2, 1, (uint64_t)i);
    for (int i = 0; i < 2 * B * L; i++) cond[i] = (real_t)((i / L) % 2 ? (i % 3 != 0) : (i % 5));
#ifndef SSSD_REAL_DOUBLE
    sssd_forward(m, B, noisy, cond, t, e1);
    sssd_forward(m2, B, noisy, cond, t, e2);
    CHECK_MSG(memcmp(e1, e2, sizeof e1) == 0, "forward output differs after save/load");
#else
    /* double: the loaded model is the float32-rounded one; outputs agree to float precision */
    sssd_forward(m, B, noisy, cond, t, e1);
    sssd_forward(m2, B, noisy, cond, t, e2);
    for (int i = 0; i < B * L; i++) CHECK_CLOSE(e2[i], e1[i], 1e-5, 1e-4);
#endif
    checkpoint_meta_free(&meta2);
    sssd_model_free(m2);

    /* without the optimizer: moments load as zero, nothing else changes */
    CHECK(checkpoint_save(CK, m, NULL, 0, &err) == 0);
    m2 = checkpoint_load(CK, be, 1, NULL, &err);
    CHECK(m2 && sssd_model_adam_m(m2)[0] == 0);
    if (m2) sssd_model_free(m2);
    CHECK(checkpoint_save(CK, m, &meta, 1, &err) == 0);

    /* The dataset facts through both readers; a checkpoint written before
     * they were recorded reads the event kind as unknown and the vocabulary
     * size from the stored vocabulary. */
    checkpoint_meta facts;
    CHECK(checkpoint_read_config_meta(CK, &cfg2, &facts, &err) == 0);
    CHECK(strcmp(facts.dataset, "datasets/ffmpeg/ffmpeg.h5") == 0 && strcmp(facts.events, "entry-exit") == 0 &&
          facts.vocab_size == 3);
    checkpoint_meta_free(&facts);
    {
        hid_t f = open_bad_copy();
        CHECK(H5Adelete(f, "dataset_events") >= 0 && H5Adelete(f, "dataset_vocab_size") >= 0);
        H5Fclose(f);
        CHECK(checkpoint_read_config_meta(BAD, &cfg2, &facts, &err) == 0);
        CHECK(strcmp(facts.events, "unknown") == 0 && facts.vocab_size == 3 && strcmp(facts.dataset, meta.dataset) == 0);
        checkpoint_meta_free(&facts);
        m2 = checkpoint_load(BAD, be, 1, &facts, &err);
        CHECK_MSG(m2 != NULL, "%s", err.message);
        CHECK(strcmp(facts.events, "unknown") == 0 && facts.vocab_size == 3 && facts.vocab.size == 3);
        if (m2) {
            checkpoint_meta_free(&facts);
            sssd_model_free(m2);
        }
        /* ... and without a vocabulary either: the configuration's (0 for this id model: unknown). */
        CHECK(checkpoint_save(BAD, m, NULL, 0, &err) == 0);
        f = H5Fopen(BAD, H5F_ACC_RDWR, H5P_DEFAULT);
        CHECK(H5Adelete(f, "dataset_events") >= 0 && H5Adelete(f, "dataset_vocab_size") >= 0);
        H5Fclose(f);
        CHECK(checkpoint_read_config_meta(BAD, &cfg2, &facts, &err) == 0);
        CHECK(strcmp(facts.events, "unknown") == 0 && facts.vocab_size == cfg.vocab_size && facts.dataset[0] == 0);
        checkpoint_meta_free(&facts);
        /* A recorded size that contradicts the stored vocabulary is refused. */
        f = open_bad_copy();
        int five = 5;
        CHECK(H5LTset_attribute_int(f, ".", "dataset_vocab_size", &five, 1) >= 0);
        H5Fclose(f);
        expect_load_error(be, BAD, "'dataset_vocab_size' is 5 but the vocabulary stored with the model has 3");
        f = open_bad_copy();
        int minus = -1;
        CHECK(H5LTset_attribute_int(f, ".", "dataset_vocab_size", &minus, 1) >= 0);
        H5Fclose(f);
        expect_load_error(be, BAD, "'dataset_vocab_size' must be one integer");
    }

    /* String attributes written as h5py writes Python str (variable length) are read too. */
    hid_t hv = open_bad_copy();
    H5Adelete(hv, "format");
    hid_t vstr = H5Tcopy(H5T_C_S1);
    H5Tset_size(vstr, H5T_VARIABLE);
    H5Tset_cset(vstr, H5T_CSET_UTF8);
    hid_t scalar = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(hv, "format", vstr, scalar, H5P_DEFAULT, H5P_DEFAULT);
    const char *fmt_value = CHECKPOINT_FORMAT_NAME;
    H5Awrite(attr, vstr, &fmt_value);
    H5Aclose(attr);
    H5Sclose(scalar);
    H5Tclose(vstr);
    H5Fclose(hv);
    m2 = checkpoint_load(BAD, be, 1, NULL, &err);
    CHECK_MSG(m2 != NULL, "variable-length 'format' attribute: %s", err.message);
    if (m2) sssd_model_free(m2);

    /* ---- validation errors ---- */
    expect_load_error(be, "no-such-checkpoint.h5", "cannot open");
    FILE *f = fopen(BAD, "w");
    fputs("this is text\n", f);
    fclose(f);
    expect_load_error(be, BAD, "not an HDF5 file");
    FILE *probe = fopen(CK, "rb");
    fseek(probe, 0, SEEK_END);
    long size = ftell(probe);
    fclose(probe);
    test_copy_prefix(CK, BAD, size / 2);
    expect_load_error(be, BAD, "truncated");

    hid_t h = h5_create_checksummed(BAD);
    hsize_t d1[1] = {4};
    float four[4] = {1, 2, 3, 4};
    H5LTmake_dataset_float(h, "weights", 1, d1, four);
    H5Fclose(h);
    expect_load_error(be, BAD, "not a checkpoint of this project");
    h = h5_create_checksummed(BAD);
    H5LTset_attribute_string(h, ".", "format", "sssd-traces-dataset");
    H5Fclose(h);
    expect_load_error(be, BAD, "dataset file, not a checkpoint");

    h = open_bad_copy();
    int v99 = 99;
    H5LTset_attribute_int(h, ".", "format_version", &v99, 1);
    H5Fclose(h);
    expect_load_error(be, BAD, "unknown checkpoint format version 99");
    sssd_config c3;
    CHECK(checkpoint_read_config(BAD, &c3, &err) != 0);

    h = open_bad_copy();
    H5Ldelete(h, "residual_layer/residual_blocks/0/S41/s4_layer/kernel/kernel/C", H5P_DEFAULT);
    H5Fclose(h);
    expect_load_error(be, BAD, "missing tensor residual_layer/residual_blocks/0/S41/s4_layer/kernel/kernel/C");

    h = open_bad_copy();
    hsize_t wrong[2] = {16, 15};
    replace_dataset(h, T1, 2, wrong, H5T_IEEE_F32LE);
    H5Fclose(h);
    expect_load_error(be, BAD, "output_linear/weight has shape (16, 15), expected (16, 16)");

    h = open_bad_copy();
    hsize_t right[2] = {16, 16};
    replace_dataset(h, T1, 2, right, H5T_IEEE_F64LE);
    H5Fclose(h);
    expect_load_error(be, BAD, "output_linear/weight has dtype float64, expected float32");

    h = open_bad_copy();
    replace_dataset(h, "residual_layer/residual_blocks/2/fc_t/weight", 2, right, H5T_IEEE_F32LE);
    H5Fclose(h);
    expect_load_error(be, BAD, "unexpected tensor residual_layer/residual_blocks/2/fc_t/weight");

    h = open_bad_copy();
    H5Ldelete(h, "optimizer/v/init_conv/0/conv/bias", H5P_DEFAULT);
    H5Fclose(h);
    expect_load_error(be, BAD, "missing tensor optimizer/v/init_conv/0/conv/bias");

    h = open_bad_copy();
    H5Adelete(h, "config_res_channels");
    H5Fclose(h);
    expect_load_error(be, BAD, "config_res_channels");

    remove(BAD);
    remove(CK);
    checkpoint_meta_free(&meta);
    sssd_model_free(m);
    backend_free(be);
    return test_finish("checkpoint");
}
