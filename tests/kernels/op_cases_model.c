/* The whole network on a backend and on the CPU backend with the same
 * weights (op_check.h): a training forward (channel dropout on), every
 * gradient (per tensor, so a wrong layer is named), and a checkpoint written from the backend, loaded and
 * sampled on both. Needs the model library. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "diffusion.h"
#include "op_check.h"
#include "sssd.h"

/* Host copy of the model's parameters (nudged so the zero-initialised output
 * layer does not make every output 0) and buffers, loaded into `dst`. */
static void copy_model(opc_ctx *c, sssd_model *src, sssd_model *dst, int nudge) {
    backend *bs = sssd_model_backend(src), *bd = sssd_model_backend(dst);
    long long np = sssd_model_num_params(src), nb = sssd_model_num_buffers(src);
    real_t *p = opc_zalloc((size_t)np * sizeof *p), *b = opc_zalloc((size_t)(nb ? nb : 1) * sizeof *b);
    bs->ops->download(bs, p, sssd_model_params(src), (size_t)np * sizeof *p);
    if (nb) bs->ops->download(bs, b, sssd_model_buffers(src), (size_t)nb * sizeof *b);
    if (nudge)
        for (long long i = 0; i < np; i++) p[i] += (real_t)opc_uniform(c, -0.01, 0.01);
    bd->ops->upload(bd, sssd_model_params(dst), p, (size_t)np * sizeof *p);
    if (nb) bd->ops->upload(bd, sssd_model_buffers(dst), b, (size_t)nb * sizeof *b);
    if (nudge) bs->ops->upload(bs, sssd_model_params(src), p, (size_t)np * sizeof *p);
    sssd_model_parameters_changed(src);
    sssd_model_parameters_changed(dst);
    free(p), free(b);
}

typedef struct model_io {
    real_t *noisy, *cond, *eps, *deps;
    int32_t *t;
} model_io;

static model_io model_io_upload(backend *be, const real_t *noisy, const real_t *cond, const int32_t *t,
                                const real_t *deps, int B, int L) {
    model_io io;
    io.noisy = opc_dev(be, noisy, (size_t)B * L * sizeof(real_t));
    io.cond = opc_dev(be, cond, (size_t)B * 2 * L * sizeof(real_t));
    io.t = (int32_t *)opc_dev(be, t, (size_t)B * sizeof(int32_t));
    io.deps = opc_dev(be, deps, (size_t)B * L * sizeof(real_t));
    io.eps = opc_dev(be, NULL, (size_t)B * L * sizeof(real_t));
    return io;
}

static void model_io_free(backend *be, model_io *io) {
    be->ops->free(be, io->noisy), be->ops->free(be, io->cond), be->ops->free(be, io->t);
    be->ops->free(be, io->deps), be->ops->free(be, io->eps);
}

/* A few DDPM steps from the same noise on one backend; returns x (host). */
static real_t *sample_steps(sssd_model *m, const real_t *cond_host, int B, int L, int steps) {
    backend *be = sssd_model_backend(m);
    const sssd_config *cfg = sssd_model_config(m);
    diffusion_schedule sch;
    diffusion_schedule_init(&sch, cfg->T, cfg->beta_0, cfg->beta_T);
    size_t n = (size_t)B * L;
    real_t *x = opc_dev(be, NULL, n * sizeof(real_t)), *noise = opc_dev(be, NULL, n * sizeof(real_t));
    real_t *eps = opc_dev(be, NULL, n * sizeof(real_t)), *cond = opc_dev(be, cond_host, 2 * n * sizeof(real_t));
    int32_t *th = opc_zalloc((size_t)B * sizeof *th);
    int32_t *t = (int32_t *)opc_dev(be, NULL, (size_t)B * sizeof *th);
    be->ops->normal_fill(be, x, (long long)n, 2024, 1, 0);
    for (int s = 0; s < steps; s++) {
        int step = cfg->T - 1 - s;
        for (int b = 0; b < B; b++) th[b] = step;
        be->ops->upload(be, t, th, (size_t)B * sizeof *th);
        sssd_forward(m, B, x, cond, t, eps);
        be->ops->normal_fill(be, noise, (long long)n, 2024, 2, (unsigned long long)s * n);
        be->ops->ddpm_step(be, x, eps, step > 0 ? noise : NULL, sch.beta[step], sch.abar[step], sch.alpha[step],
                           sch.sigma[step], (long long)n);
    }
    real_t *out = opc_get(be, x, n);
    be->ops->free(be, x), be->ops->free(be, noise), be->ops->free(be, eps), be->ops->free(be, cond);
    be->ops->free(be, t);
    free(th);
    diffusion_schedule_free(&sch);
    return out;
}

/* The whole network on `gpu` (the CUDA backend or its emulation) and on the
 * CPU backend with the same weights: forward, every gradient, and a
 * checkpoint written from `gpu` loaded and sampled on both. */
void opc_case_model_vs_cpu(opc_ctx *c, const int *p) {
    backend *gpu = c->be, *cpu = c->cpu;
    const int miniature = p[0];
    sssd_config cfg;
    error_info err;
    /* The emulation runs every block on OS threads: it gets a miniature
     * network (every kind of layer, fewer and narrower) to stay quick. */
    int L = miniature ? 24 : 50, B = 2, steps = miniature ? 2 : 5;
    opc_shape(c, "%s B=%d L=%d", miniature ? "miniature" : "tiny", B, L);
    if (sssd_config_preset("tiny", L, &cfg, &err) != 0) {
        opc_expect(c, "network", "tiny preset", 0, "%s", err.message);
        return;
    }
    if (miniature) {
        cfg.res_channels = cfg.skip_channels = 8;
        cfg.num_res_layers = 1;
        cfg.s4_d_state = 16;
        cfg.emb_in = 16;
        cfg.emb_mid = cfg.emb_out = 32;
        if (sssd_config_validate(&cfg, &err) != 0) {
            opc_expect(c, "network", "miniature configuration", 0, "%s", err.message);
            return;
        }
    }
    cfg.s4_dropout = 0.3; /* the training forward drops channels (the same rows on both) */
    sssd_model *mg = sssd_model_create(&cfg, gpu, B, 7), *mc = sssd_model_create(&cfg, cpu, B, 7);
    copy_model(c, mc, mg, 1);
    size_t n = (size_t)B * L;
    real_t *noisy = opc_host_random(c, n, -2, 2), *cond = opc_zalloc(2 * n * sizeof *cond), *deps = opc_host_random(c, n, -1, 1);
    for (int b = 0; b < B; b++)
        for (int l = 0; l < L; l++) {
            int observed = !(l >= L / 2 && l < L / 2 + 10);
            cond[((size_t)b * 2 + 1) * L + l] = (real_t)observed;
            cond[((size_t)b * 2) * L + l] = observed ? (real_t)(1 + (l * 7 + b) % 13) : 0;
        }
    int32_t t[2] = {3, 150};
    model_io ig = model_io_upload(gpu, noisy, cond, t, deps, B, L), ic = model_io_upload(cpu, noisy, cond, t, deps, B, L);
    sssd_zero_grads(mg);
    sssd_zero_grads(mc);
    sssd_model_arm_dropout(mg, 11, 3, 0);
    sssd_model_arm_dropout(mc, 11, 3, 0);
    sssd_forward(mg, B, ig.noisy, ig.cond, ig.t, ig.eps);
    sssd_forward(mc, B, ic.noisy, ic.cond, ic.t, ic.eps);
    real_t *eg = opc_get(gpu, ig.eps, n), *ec = opc_get(cpu, ic.eps, n);
    double *ecd = opc_to_double(ec, n);
    opc_compare(c, "network", "forward against the CPU backend", eg, ecd, n, 1e-4);
    sssd_backward(mg, ig.deps);
    sssd_backward(mc, ic.deps);
    long long np = sssd_model_num_params(mg);
    real_t *gg = opc_get(gpu, sssd_model_grads(mg), (size_t)np), *gc = opc_get(cpu, sssd_model_grads(mc), (size_t)np);
    double *gcd = opc_to_double(gc, (size_t)np);
    opc_compare(c, "network", "all gradients against the CPU backend", gg, gcd, (size_t)np, 1e-3);
    double grad_rms = 0;
    for (long long i = 0; i < np; i++) grad_rms += gcd[i] * gcd[i];
    grad_rms = sqrt(grad_rms / (double)(np ? np : 1));
    /* per tensor, so a wrong layer is named */
    for (int i = 0; i < sssd_model_tensor_count(mg); i++) {
        const sssd_tensor_info *ti = sssd_model_tensor(mg, i);
        if (!ti->trainable) continue;
        char what[96];
        snprintf(what, sizeof what, "gradient %s", ti->name);
        /* Some gradients are exactly zero in exact arithmetic (weight_v of a
         * weight-normalised row of length 1 is g sign(v): no dependence on
         * |v|); measure those against the gradient scale of the whole model. */
        opc_compare_floor(c, "network", what, gg + ti->offset, gcd + ti->offset, (size_t)ti->count, 5e-3, grad_rms);
    }

    /* checkpoint saved from the GPU model, sampled from on the CPU */
    char path[] = "/tmp/sssd_backend_ops_ckpt_XXXXXX";
    int fd = mkstemp(path);
    opc_expect(c, "network", "checkpoint", fd >= 0, "cannot create a temporary file %s", path);
    if (fd >= 0) close(fd);
    checkpoint_meta meta;
    checkpoint_meta_init(&meta);
    int saved = checkpoint_save(path, mg, &meta, 0, &err) == 0;
    opc_expect(c, "network", "checkpoint saved", saved, "%s", err.message);
    checkpoint_meta loaded;
    checkpoint_meta_init(&loaded);
    sssd_model *mc2 = checkpoint_load(path, cpu, B, &loaded, &err);
    opc_expect(c, "network", "checkpoint loaded on the CPU backend", mc2 != NULL, "%s", err.message);
    sssd_model *mg2 = checkpoint_load(path, gpu, B, &loaded, &err);
    opc_expect(c, "network", "checkpoint loaded on it", mg2 != NULL, "%s", err.message);
    if (mc2 && mg2) {
        /* The network itself, reloaded on the other backend, on the same input
         * (sampling alone would hide it: at large t the noise dominates x). */
        sssd_forward(mc2, B, ic.noisy, ic.cond, ic.t, ic.eps);
        sssd_forward(mg, B, ig.noisy, ig.cond, ig.t, ig.eps);
        real_t *e2 = opc_get(cpu, ic.eps, n), *e1 = opc_get(gpu, ig.eps, n);
        double *e1d = opc_to_double(e1, n);
        opc_compare(c, "network", "checkpoint loaded on the CPU backend", e2, e1d, n, 1e-4);
        sssd_forward(mg2, B, ig.noisy, ig.cond, ig.t, ig.eps);
        real_t *e3 = opc_get(gpu, ig.eps, n);
        opc_compare(c, "network", "checkpoint reloaded on it", e3, e1d, n, 1e-6);
        free(e1), free(e2), free(e1d), free(e3);
        real_t *xg = sample_steps(mg, cond, B, L, steps), *xc = sample_steps(mc2, cond, B, L, steps);
        double *xgd = opc_to_double(xg, n);
        opc_compare(c, "network", "DDPM steps sampled on the CPU", xc, xgd, n, 1e-3);
        free(xg), free(xc), free(xgd);
    }
    if (mc2) sssd_model_free(mc2);
    if (mg2) sssd_model_free(mg2);
    checkpoint_meta_free(&meta);
    checkpoint_meta_free(&loaded);
    unlink(path);
    model_io_free(gpu, &ig);
    model_io_free(cpu, &ic);
    sssd_model_free(mg);
    sssd_model_free(mc);
    free(noisy), free(cond), free(deps), free(eg), free(ec), free(ecd), free(gg), free(gc), free(gcd);
}

