/* Terminal view of an evaluation: one line per metric with what it means. */
#include "report.h"

#include <math.h>

static double pct(int64_t a, int64_t b) { return b ? 100.0 * (double)a / (double)b : 0.0; }

static void recon_row(FILE *f, const char *name, double model, const eval_result *r, double ctx, double mode,
                      const char *meaning) {
    fprintf(f, "  %-22s %8.2f", name, model);
    if (r->has_baselines) fprintf(f, " %8.2f %8.2f", ctx, mode);
    fprintf(f, "   %s\n", meaning);
}

static void position_line(FILE *f, const recon_metrics *m) {
    int shown = 0, total = 0;
    for (int j = 0; j < m->length; j++) total += m->position_count[j] > 0;
    fprintf(f, "  accuracy by position (%%):");
    if (total > 40) {
        double lo = 101, hi = -1;
        int jlo = 0, jhi = 0;
        for (int j = 0; j < m->length; j++) {
            if (!m->position_count[j]) continue;
            if (m->position_accuracy[j] < lo) { lo = m->position_accuracy[j]; jlo = j; }
            if (m->position_accuracy[j] > hi) { hi = m->position_accuracy[j]; jhi = j; }
        }
        fprintf(f, " %d positions, lowest %.1f at %d, highest %.1f at %d (all in the JSON/HTML)\n", total, lo, jlo, hi, jhi);
        return;
    }
    for (int j = 0; j < m->length; j++) {
        if (!m->position_count[j]) continue;
        fprintf(f, "%s%d:%.1f", shown % 10 ? " " : "\n    ", j, m->position_accuracy[j]);
        shown++;
    }
    fputc('\n', f);
}

void report_text(FILE *f, const eval_result *r) {
    fprintf(f, "Inputs\n");
    fprintf(f, "  generated   %s (%lld windows x %d events)\n", r->generated, (long long)r->gen.count, r->gen.length);
    fprintf(f, "  real        %s (%lld windows x %d events)\n", r->real, (long long)r->real_ws.count, r->real_ws.length);
    if (r->has_train)
        fprintf(f, "  training    %s (%lld windows; stride %d; stitched into %lld events in %lld piece%s)\n", r->train,
                (long long)r->train_ws.count, r->train_stride, (long long)r->train_trace_length,
                (long long)r->train_segments, r->train_segments == 1 ? "" : "s");
    fprintf(f, "  mask        %s; %s\n", r->mask.source,
            r->unconditional ? "unconditional generation: distribution and whole-window metrics only"
                             : "1 = observed, 0 = generated");
    fprintf(f, "  vocabulary  IDs 1..%d (%s)\n", r->vocab_max, r->vocab_source);

    if (r->has_recon) {
        const recon_metrics *m = &r->recon;
        fprintf(f, "\nReconstruction: %lld windows, %lld generated events (scored on generated positions only)\n",
                (long long)m->windows, (long long)m->generated_positions);
        fprintf(f, "  %-22s %8s", "metric (%)", "model");
        if (r->has_baselines) fprintf(f, " %8s %8s", "context", "mode");
        fprintf(f, "   meaning\n");
        const recon_metrics *c = &r->base_context, *o = &r->base_mode;
        recon_row(f, "accuracy", m->accuracy, r, c->accuracy, o->accuracy, REPORT_MEANING_ACCURACY);
        recon_row(f, "perfect", m->perfect, r, c->perfect, o->perfect, REPORT_MEANING_PERFECT);
        recon_row(f, "ROUGE-L (event)", m->rouge_event, r, c->rouge_event, o->rouge_event, REPORT_MEANING_ROUGE_EVENT);
        recon_row(f, "rougeL_published", m->rouge_published, r, c->rouge_published, o->rouge_published,
                  REPORT_MEANING_ROUGE_PUBLISHED);
        if (r->has_baselines) {
            fprintf(f, "  baselines: context = most common training filler between the same 8 left/right events (backing off to shorter contexts, then the mode);\n");
            fprintf(f, "             mode = every generated event set to the most frequent training event (%d)\n", r->mode_event);
            fprintf(f, "  context lookup: %lld gaps; matched with context", (long long)r->context.gaps);
            for (int c = BASELINE_MAX_CONTEXT; c >= 1; c--)
                if (r->context.filled_at[c]) fprintf(f, " %d:%lld", c, (long long)r->context.filled_at[c]);
            fprintf(f, "; fell back to the mode: %lld\n", (long long)r->context.filled_at[0]);
        }
        position_line(f, m);
        fprintf(f, "  observed positions changed: %lld of %lld (%lld windows) - must be 0: observed events are given, not generated\n",
                (long long)m->observed_mismatches, (long long)m->observed_positions,
                (long long)m->observed_mismatch_windows);
    }

    if (r->has_baselines && !r->has_recon) {
        const recon_metrics *c = &r->base_context, *o = &r->base_mode;
        fprintf(f, "\nBaselines on REAL with this mask (no model column: GENERATED does not pair up with REAL)\n");
        fprintf(f, "  %-22s %8s %8s\n", "metric (%)", "context", "mode");
        fprintf(f, "  %-22s %8.2f %8.2f\n", "accuracy", c->accuracy, o->accuracy);
        fprintf(f, "  %-22s %8.2f %8.2f\n", "perfect", c->perfect, o->perfect);
        fprintf(f, "  %-22s %8.2f %8.2f\n", "ROUGE-L (event)", c->rouge_event, o->rouge_event);
        fprintf(f, "  %-22s %8.2f %8.2f\n", "rougeL_published", c->rouge_published, o->rouge_published);
    }

    const dist_metrics *d = &r->dist;
    fprintf(f, "\nDistribution (%s)\n", d->generated_only ? "events at generated positions; n-grams touching one"
                                                           : "all events of whole windows");
    fprintf(f, "  KL(generated||real)    %8.4f nats   %s\n", d->kl_gen_real, REPORT_MEANING_KL);
    fprintf(f, "  KL(real||generated)    %8.4f nats   smoothing: %s\n", d->kl_real_gen, REPORT_SMOOTHING);
    fprintf(f, "  JS events              %8.4f        %s\n", d->js_event, REPORT_MEANING_JS);
    fprintf(f, "  JS bigrams             %8.4f        same, on pairs of consecutive events (order)\n", d->js_bigram);
    fprintf(f, "  JS trigrams            %8.4f        same, on three consecutive events\n", d->js_trigram);
    fprintf(f, "  unique events          generated %d, real %d, shared %d, only generated %d, only real %d\n",
            d->unique_gen, d->unique_real, d->unique_both, d->unique_gen_only, d->unique_real_only);
    fprintf(f, "  outside vocabulary     generated %lld (%.2f%%), real %lld   IDs < 1 or > %d cannot be real events\n",
            (long long)d->oov_gen, pct(d->oov_gen, d->events_gen), (long long)d->oov_real, d->vocab_max);
    if (r->has_nn) {
        fprintf(f, "  NN ROUGE-L gen->real   %8.2f %%      %s\n", r->nn.mean_gen_to_real, REPORT_MEANING_NN_GEN);
        fprintf(f, "  NN ROUGE-L real->gen   %8.2f %%      %s\n", r->nn.mean_real_to_gen, REPORT_MEANING_NN_REAL);
        fprintf(f, "  (whole windows; %lld pairs in %.2f s on %d threads; %lld generated windows equal a real one)\n",
                (long long)r->nn.pairs, r->nn.seconds, r->nn.threads, (long long)r->nn.gen_exact);
    }

    if (r->has_memo) {
        const memo_result *m = &r->memo;
        fprintf(f, "\nMemorisation (%s)\n", REPORT_MEANING_MEMO);
        fprintf(f, "  generated windows in training   %6.2f %% as windows, %6.2f %% in the trace\n",
                pct(m->gen_in_windows, m->gen_count), pct(m->gen_in_trace, m->gen_count));
        fprintf(f, "  real test windows in training   %6.2f %% as windows, %6.2f %% in the trace   %s\n",
                pct(m->real_in_windows, m->real_count), pct(m->real_in_trace, m->real_count), REPORT_MEANING_LEAK);
    }

    for (int i = 0; i < r->n_notes; i++) fprintf(f, "\nnote: %s\n", r->notes[i]);
    if (r->n_warnings) fputc('\n', f);
    for (int i = 0; i < r->n_warnings; i++) fprintf(f, "WARNING: %s\n", r->warnings[i]);
    fprintf(f, "\n(evaluated in %.2f s)\n", r->seconds);
}
