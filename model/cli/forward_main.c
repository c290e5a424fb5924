/* `forward`: one network evaluation from files, the hook for parity checks
 * against PyTorch's SSSDS4Imputer (model/FORWARD.md):
 *   forward --checkpoint CK.h5 --input IN.h5 --output OUT.h5 [--device cpu|cuda|auto] [--threads N]
 * reads noisy (B,1,L), cond (B,2,L), t (B) and optionally dout (B,1,L), writes eps (B,1,L) and, with
 * dout, the gradient of sum(eps * dout) for every trainable tensor under its checkpoint name. Also
 *   forward --init --preset tiny|small|paper --length L [--seed S] --save CK.h5
 * writes a freshly initialised checkpoint (for tests and parity runs). */
#include <errno.h>
#include <math.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "h5_probe.h"
#include "h5_util.h"
#include "checkpoint.h"
#include "cli_options.h"
#include "json_out.h"

#ifdef SSSD_REAL_DOUBLE
#define H5T_NATIVE_REAL H5T_NATIVE_DOUBLE
#else
#define H5T_NATIVE_REAL H5T_NATIVE_FLOAT
#endif

static void usage(FILE *out) {
    fprintf(out,
            "usage: forward --checkpoint CK.h5 --input IN.h5 --output OUT.h5 [--device cpu|cuda|auto] [--threads N]\n"
            "       forward --init --preset tiny|small|paper --length L [--seed S] --save CK.h5\n"
            "IN.h5: noisy (B,1,L) float32, cond (B,2,L) float32 = [x0*mask, mask], t (B) int32,\n"
            "       optional dout (B,1,L) float32.\n"
            "OUT.h5: eps (B,1,L); with dout also d(sum eps*dout)/d(tensor) for every trainable tensor,\n"
            "        under the tensor's checkpoint name. See model/FORWARD.md.\n"
            "memory: the model (16 bytes per parameter) plus about 160 bytes x B x channels x L x layers of\n"
            "activations; a checkpoint whose model would not fit in available memory is refused.\n");
}

/* Reads a dataset that must have `ndim` dimensions; dims[i] > 0 are required values. */
static void *read_input(hid_t f, const char *path, const char *name, int ndim, hsize_t *dims, int integer,
                        int required) {
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0) {
        if (required) die("%s: dataset '%s' missing (see model/FORWARD.md for the layout)", path, name);
        return NULL;
    }
    int rank;
    H5T_class_t cls;
    size_t ts;
    hsize_t got[8];
    if (H5LTget_dataset_ndims(f, name, &rank) < 0 || rank != ndim)
        die("%s: '%s' must have %d dimensions", path, name, ndim);
    H5LTget_dataset_info(f, name, got, &cls, &ts);
    if (integer ? cls != H5T_INTEGER : cls != H5T_FLOAT)
        die("%s: '%s' must hold %s", path, name, integer ? "integers (int32)" : "floats (float32)");
    for (int i = 0; i < ndim; i++) {
        if (dims[i] && got[i] != dims[i])
            die("%s: '%s' dimension %d is %llu, expected %llu", path, name, i, (unsigned long long)got[i],
                (unsigned long long)dims[i]);
        dims[i] = got[i];
    }
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= dims[i];
    error_info err;
    if (h5_check_extent(f, name, n, integer ? sizeof(int32_t) : sizeof(real_t), path, &err)) die("%s", err.message);
    void *buf = xmalloc((n ? n : 1) * (integer ? sizeof(int32_t) : sizeof(real_t)));
    if (n && H5LTread_dataset(f, name, integer ? H5T_NATIVE_INT32 : H5T_NATIVE_REAL, buf) < 0)
        die("%s: cannot read '%s'", path, name);
    return buf;
}

/* The temporary output file, removed when a write fails so nothing half-written remains. */
static char output_tmp[4200];

static void fail_output(const char *fmt, const char *what) {
    if (output_tmp[0]) remove(output_tmp);
    die(fmt, what);
}

/* The network's inputs must be finite: NaN or inf would silently poison every output. */
static void check_finite(const char *path, const char *name, const real_t *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) die("%s: '%s' element %zu is %s; inputs must be finite", path, name, i, isnan(x[i]) ? "NaN" : "inf");
}

static void write_output(hid_t f, const char *name, int ndim, const int *shape, const real_t *data) {
    hsize_t dims[4];
    for (int i = 0; i < ndim; i++) dims[i] = (hsize_t)shape[i];
    hid_t space = H5Screate_simple(ndim, dims, NULL);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t d = H5Dcreate2(f, name, H5T_IEEE_F32LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (d < 0 || H5Dwrite(d, H5T_NATIVE_REAL, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        fail_output("writing '%s' failed (disk full?)", name);
    H5Dclose(d);
    H5Pclose(lcpl);
    H5Sclose(space);
}

static int init_checkpoint(const char *preset, int length, unsigned long long seed, const char *save, int threads) {
    error_info err;
    sssd_config cfg;
    if (!preset || length <= 0 || !save) die("--init needs --preset, --length and --save");
    if (sssd_config_preset(preset, length, &cfg, &err)) die("%s", err.message);
    if (sssd_config_validate(&cfg, &err)) die("%s", err.message);
    backend *be = backend_cpu_create(threads);
    sssd_model *m = sssd_model_create(&cfg, be, 1, seed);
    checkpoint_meta meta;
    checkpoint_meta_init(&meta);
    meta.seed = seed;
    json_t *state = json_pack("{s:s, s:s}", "created_by", "forward --init", "preset", preset);
    if (!state || json_text_into(state, JSON_OUT_ONE_LINE(17), meta.extra_json, sizeof meta.extra_json, save, &err))
        die("%s", state ? err.message : "out of memory");
    json_decref(state);
    if (checkpoint_save(save, m, &meta, 0, &err)) die("%s", err.message);
    printf("wrote %s: preset %s, length %d, seed %llu, %lld parameters\n", save, preset, length, seed,
           sssd_model_num_params(m));
    checkpoint_meta_free(&meta);
    sssd_model_free(m);
    backend_free(be);
    return 0;
}

int main(int argc, char **argv) {
    error_set_program_name("forward");
    backend_cpu_choose_blas_kernels("forward", argv); /* first: it may execute the program again */
    /* A file that failed to close (disk full) must not crash HDF5's exit handler. */
    H5dont_atexit();
    const char *ck = NULL, *in = NULL, *out = NULL, *device = "cpu", *preset = NULL, *save = NULL;
    int threads = 2, init = 0, length = 0;
    unsigned long long seed = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--init")) {
            init = 1;
            continue;
        }
        if (!v) die("option %s needs a value (try --help)", a);
        if (!strcmp(a, "--checkpoint")) ck = v;
        else if (!strcmp(a, "--input")) in = v;
        else if (!strcmp(a, "--output")) out = v;
        else if (!strcmp(a, "--device")) device = v;
        else if (!strcmp(a, "--threads")) threads = (int)cli_integer(a, v, 1, 1024);
        else if (!strcmp(a, "--preset")) preset = v;
        else if (!strcmp(a, "--length")) length = (int)cli_integer(a, v, 1, 1 << 20);
        else if (!strcmp(a, "--seed")) seed = (unsigned long long)cli_integer(a, v, 0, (long long)(~0ULL >> 1));
        else if (!strcmp(a, "--save")) save = v;
        else die("unknown option '%s' (try --help)", a);
        i++;
    }
    if (threads < 1) die("--threads must be at least 1");
    if (init) return init_checkpoint(preset, length, seed, save, threads);
    if (!ck || !in || !out) {
        usage(stderr);
        return 2;
    }

    error_info err;
    sssd_config cfg;
    if (checkpoint_read_config(ck, &cfg, &err)) die("%s", err.message);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (h5_probe(in, "forward input file", "arrays", &err)) die("%s", err.message);
    hid_t fin = h5_open_checked(in, "forward input file", &err);
    if (fin < 0) die("%s", err.message);
    int L = cfg.s4_lmax, cin = cfg.in_channels, cout = cfg.out_channels;
    hsize_t dn[3] = {0, (hsize_t)cin, (hsize_t)L};
    real_t *noisy = read_input(fin, in, "noisy", 3, dn, 0, 1);
    int B = (int)dn[0];
    if (B < 1) die("%s: 'noisy' holds no samples", in);
    hsize_t dc[3] = {(hsize_t)B, 2 * (hsize_t)cin, (hsize_t)L}, dt[1] = {(hsize_t)B}, dd[3] = {(hsize_t)B, (hsize_t)cout, (hsize_t)L};
    real_t *cond = read_input(fin, in, "cond", 3, dc, 0, 1);
    int32_t *t = read_input(fin, in, "t", 1, dt, 1, 1);
    real_t *dout = read_input(fin, in, "dout", 3, dd, 0, 0);
    H5Fclose(fin);
    check_finite(in, "noisy", noisy, (size_t)B * cin * L);
    check_finite(in, "cond", cond, (size_t)B * 2 * cin * L);
    if (dout) check_finite(in, "dout", dout, (size_t)B * cout * L);
    for (int b = 0; b < B; b++)
        if (t[b] < 0 || t[b] >= cfg.T) die("%s: 't' item %d is %d; diffusion steps run from 0 to %d", in, b, t[b], cfg.T - 1);

    char why[512];
    backend *be = backend_create(device, threads, why, sizeof why);
    if (!be) die("cannot use device '%s': %s", device, why);
    sssd_model *m = checkpoint_load(ck, be, B, NULL, &err);
    if (!m) die("%s", err.message);

    size_t n_in = (size_t)B * cin * L, n_cond = 2 * n_in, n_out = (size_t)B * cout * L;
    real_t *d_noisy = be->ops->alloc(be, n_in * sizeof(real_t)), *d_cond = be->ops->alloc(be, n_cond * sizeof(real_t));
    real_t *d_eps = be->ops->alloc(be, n_out * sizeof(real_t)), *d_dout = be->ops->alloc(be, n_out * sizeof(real_t));
    int32_t *d_t = be->ops->alloc(be, (size_t)B * sizeof(int32_t));
    be->ops->upload(be, d_noisy, noisy, n_in * sizeof(real_t));
    be->ops->upload(be, d_cond, cond, n_cond * sizeof(real_t));
    be->ops->upload(be, d_t, t, (size_t)B * sizeof(int32_t));
    sssd_forward(m, B, d_noisy, d_cond, d_t, d_eps);
    real_t *eps = xmalloc(n_out * sizeof(real_t));
    be->ops->download(be, eps, d_eps, n_out * sizeof(real_t));

    long long np = sssd_model_num_params(m);
    real_t *grads = NULL;
    if (dout) {
        be->ops->upload(be, d_dout, dout, n_out * sizeof(real_t));
        sssd_zero_grads(m);
        sssd_backward(m, d_dout);
        grads = xmalloc((size_t)(np ? np : 1) * sizeof(real_t));
        be->ops->download(be, grads, sssd_model_grads(m), (size_t)np * sizeof(real_t));
    }

    if (atomic_tmp_name(out, output_tmp, sizeof output_tmp, &err)) die("%s", err.message);
    hid_t fo = h5_create_checksummed(output_tmp);
    if (fo < 0) fail_output("%s: cannot create (is the directory writable?)", out);
    int shape[3] = {B, cout, L};
    write_output(fo, "eps", 3, shape, eps);
    for (int i = 0; grads && i < sssd_model_tensor_count(m); i++) {
        const sssd_tensor_info *ti = sssd_model_tensor(m, i);
        if (ti->trainable) write_output(fo, ti->name, ti->ndim, ti->shape, grads + ti->offset);
    }
    H5LTset_attribute_string(fo, ".", "checkpoint", ck);
    H5LTset_attribute_string(fo, ".", "device", be->ops->name);
    if (H5Fclose(fo) < 0) fail_output("%s: writing failed (disk full?)", out);
    if (atomic_publish(output_tmp, out, &err)) die("%s", err.message);
    output_tmp[0] = 0;
    printf("wrote %s: eps (%d, %d, %d)%s on %s\n", out, B, cout, L, grads ? " and gradients" : "", be->ops->name);

    be->ops->free(be, d_noisy);
    be->ops->free(be, d_cond);
    be->ops->free(be, d_eps);
    be->ops->free(be, d_dout);
    be->ops->free(be, d_t);
    sssd_model_free(m);
    backend_free(be);
    free(noisy);
    free(cond);
    free(t);
    free(dout);
    free(eps);
    free(grads);
    return 0;
}
