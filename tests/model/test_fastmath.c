/* Accuracy of the CPU backend's float approximations (kernels/cpu/cpu_fastmath.h)
 * against double-precision libm over dense sweeps of inputs: maximum relative
 * error wherever the exact value is a normal float (below that, results may
 * flush towards zero: an absolute error up to FLT_MIN), and the GELU derivative
 * Phi(x) + x phi(x), which crosses zero, against its terms' magnitudes. */
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "cpu_fastmath.h"
#include "test_util.h"

#define REL_TOL 1e-6
#define DENORMAL_TOL FLT_MIN

/* Worst error of one function over n + 1 evenly spaced points of [a, b]. */
typedef struct sweep {
    double worst_rel, at;
} sweep;

static void note(sweep *s, double got, double want, double x) {
    double err = fabs(got - want);
    if (fabs(want) >= FLT_MIN) err /= fabs(want);
    else err = err <= DENORMAL_TOL ? 0 : INFINITY;
    if (!(err <= s->worst_rel)) { /* NaN counts as worst */
        s->worst_rel = isnan(err) ? INFINITY : err;
        s->at = x;
    }
}

static void report(const char *name, sweep s) {
    printf("  %-12s max relative error %.3g (at x = %.9g)\n", name, s.worst_rel, s.at);
    CHECK_MSG(s.worst_rel <= REL_TOL, "%s: relative error %.3g at x = %.9g", name, s.worst_rel, s.at);
}

static double normal_cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

int main(void) {
    const int n = 4000000;
    sweep se = {0, 0}, ss = {0, 0}, st = {0, 0}, sc = {0, 0}, sp = {0, 0}, sg = {0, 0}, sd = {0, 0};
    for (int i = 0; i <= n; i++) {
        /* exp over its whole float range, denormal results included */
        float x = (float)(-104.0 + 193.0 * i / n);
        if (x < 88.7f) note(&se, fm_exp(x), exp((double)x), x);
        x = (float)(-100.0 + 200.0 * i / n);
        note(&ss, fm_sigmoid(x), 1.0 / (1.0 + exp(-(double)x)), x);
        x = (float)(-20.0 + 40.0 * i / n);
        note(&st, fm_tanh(x), tanh((double)x), x);
        x = (float)(-14.0 + 28.0 * i / n);
        float cdf, pdf;
        fm_normal_cdf_pdf(x, &cdf, &pdf);
        double want_cdf = normal_cdf(x), want_pdf = exp(-0.5 * (double)x * x) / sqrt(2.0 * M_PI);
        note(&sc, cdf, want_cdf, x);
        note(&sp, pdf, want_pdf, x);
        /* GELU products: where Phi itself is a normal float (below, it has lost bits already) */
        if (want_cdf < FLT_MIN) continue;
        note(&sg, x * cdf, x * want_cdf, x);
        /* GELU'(x) = Phi + x phi: measured against |Phi| + |x phi| since it has a root near -0.75 */
        double want_d = want_cdf + x * want_pdf, scale = fabs(want_cdf) + fabs(x * want_pdf);
        double err_d = fabs((double)(cdf + x * pdf) - want_d);
        if (scale >= FLT_MIN) err_d /= scale;
        else err_d = err_d <= DENORMAL_TOL ? 0 : INFINITY;
        if (!(err_d <= sd.worst_rel)) {
            sd.worst_rel = isnan(err_d) ? INFINITY : err_d;
            sd.at = x;
        }
    }
    /* tiny and huge arguments, logarithmically spaced */
    for (int i = 0; i <= 100000; i++) {
        float x = (float)pow(10.0, -38.0 + 40.0 * i / 100000);
        note(&st, fm_tanh(x), tanh((double)x), x);
        note(&st, fm_tanh(-x), tanh(-(double)x), -x);
        float cdf, pdf;
        fm_normal_cdf_pdf(x, &cdf, &pdf);
        note(&sc, cdf, normal_cdf(x), x);
    }
    report("exp", se);
    report("sigmoid", ss);
    report("tanh", st);
    report("normal cdf", sc);
    report("normal pdf", sp);
    report("gelu", sg);
    report("gelu'", sd);
    /* saturation: exact limits, no NaN */
    CHECK(fm_exp(-200.0f) == 0.0f && isinf(fm_exp(200.0f)));
    CHECK(fm_sigmoid(-200.0f) == 0.0f && fm_sigmoid(200.0f) == 1.0f);
    CHECK(fm_tanh(200.0f) == 1.0f && fm_tanh(-200.0f) == -1.0f && fm_tanh(0.0f) == 0.0f);
    float c, p;
    fm_normal_cdf_pdf(-50.0f, &c, &p);
    CHECK(c == 0.0f && p == 0.0f);
    fm_normal_cdf_pdf(50.0f, &c, &p);
    CHECK(c == 1.0f && p == 0.0f);
    return test_finish("test_fastmath");
}
