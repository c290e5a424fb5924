/* JSON view of a trace report: every figure, every syscall, errno, process,
 * phase and transition (NaN as null). */
#include "trace_report.h"

#include <math.h>

#include "json_out.h"

static void group(FILE *f, const trace_report *r, const report_group *g) {
    fprintf(f, "\"calls\": %lld, \"share\": ", (long long)g->calls);
    json_out_number(f, r->n_calls ? (double)g->calls / (double)r->n_calls : NAN);
    fprintf(f, ", \"failed\": %lld, \"errors\": {", (long long)g->failed);
    for (int k = 0; k < g->n_errors; k++) {
        fputs(k ? ", " : "", f);
        json_out_string(f, string_table_get(&r->errnos, g->err_name[k]));
        fprintf(f, ": %lld", (long long)g->err_count[k]);
    }
    fprintf(f, "}, \"timed\": %lld, \"duration_total\": ", (long long)g->timed);
    json_out_number(f, g->dur_total);
    fputs(", \"duration_mean\": ", f);
    json_out_number(f, g->dur_mean);
    fputs(", \"duration_p50\": ", f);
    json_out_number(f, g->dur_p50);
    fputs(", \"duration_p95\": ", f);
    json_out_number(f, g->dur_p95);
    fputs(", \"duration_max\": ", f);
    json_out_number(f, g->dur_max);
    fputs(", \"duration_histogram\": ", f);
    json_out_int_array(f, g->dur_hist, REPORT_DUR_BINS);
    fprintf(f, ", \"data_calls\": %lld, \"bytes\": %lld, \"size_histogram\": ", (long long)g->io_calls, (long long)g->bytes);
    json_out_int_array(f, g->size_hist, REPORT_SIZE_BINS);
}

void trace_report_json(FILE *f, const trace_report *r) {
    fputs("{\n  \"inputs\": [", f);
    for (int i = 0; i < r->n_inputs; i++) {
        fputs(i ? ", " : "", f);
        json_out_string(f, r->inputs[i]);
    }
    fprintf(f, "],\n  \"source\": \"%s\",\n", r->from_dataset ? "dataset" : "strace");
    fprintf(f, "  \"parsed\": {\"lines\": %lld, \"calls\": %lld, \"resumed\": %lld, \"signals\": %lld, \"stopped\": %lld, "
               "\"exited\": %lld, \"killed\": %lld, \"superseded\": %lld, \"detached\": %lld, \"unparsed\": %lld, "
               "\"stack_lines\": %lld, \"note_lines\": %lld, \"never_resumed\": %lld},\n",
            (long long)r->lines, (long long)r->parsed_calls, (long long)r->resumed, (long long)r->signals, (long long)r->stopped,
            (long long)r->exited, (long long)r->killed, (long long)r->superseded, (long long)r->detached, (long long)r->unparsed,
            (long long)r->stack_lines, (long long)r->note_lines, (long long)r->pending_at_end);
    fprintf(f, "  \"calls\": %lld,\n  \"failed\": %lld,\n  \"traces\": %d,\n  \"has_timestamps\": %s,\n  \"has_durations\": %s,\n",
            (long long)r->n_calls, (long long)r->failed, r->n_traces, r->has_time ? "true" : "false",
            r->has_duration ? "true" : "false");
    fputs("  \"size_bins\": [", f);
    for (int k = 0; k < REPORT_SIZE_BINS; k++) {
        char b[16];
        report_size_bin_label(k, b, sizeof b);
        fputs(k ? ", " : "", f);
        json_out_string(f, b);
    }
    fputs("],\n  \"duration_bins\": [", f);
    for (int k = 0; k < REPORT_DUR_BINS; k++) {
        char b[16];
        report_dur_bin_label(k, b, sizeof b);
        fputs(k ? ", " : "", f);
        json_out_string(f, b);
    }
    fputs("],\n  \"categories\": {", f);
    for (int c = 0; c < CAT_COUNT; c++) {
        fprintf(f, "%s\n    ", c ? "," : "");
        json_out_string(f, syscall_category_name(c));
        fputs(": {", f);
        group(f, r, &r->cat[c]);
        fputc('}', f);
    }
    fputs("\n  },\n  \"syscalls\": [", f);
    for (int i = 0; i < r->names.count; i++) {
        int32_t v = r->by_count[i];
        fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
        json_out_string(f, report_name(r, v));
        fputs(", \"category\": ", f);
        json_out_string(f, syscall_category_name(r->sys_category[v]));
        fprintf(f, ", \"data\": \"%s\", ", (const char *[]){"none", "in", "out", "transfer"}[r->sys[v].io]);
        group(f, r, &r->sys[v]);
        fputc('}', f);
    }
    fprintf(f, "\n  ],\n  \"bytes\": {\"in\": %lld, \"out\": %lld, \"transfer\": %lld},\n", (long long)r->io_bytes_in,
            (long long)r->io_bytes_out, (long long)r->io_bytes_transfer);
    fputs("  \"signals\": {", f);
    for (int32_t s = 0, k = 0; s < r->signal_names.count; s++)
        if (r->signal_counts[s]) {
            fputs(k++ ? ", " : "", f);
            json_out_string(f, string_table_get(&r->signal_names, s));
            fprintf(f, ": %lld", (long long)r->signal_counts[s]);
        }
    fputs("},\n  \"processes\": [", f);
    for (int i = 0; r->has_pids && i < r->n_procs; i++) {
        const report_process *p = &r->procs[i];
        fprintf(f, "%s\n    {\"pid\": %d, \"calls\": %lld, \"failed\": %lld, \"signals\": %lld, \"first\": ", i ? "," : "", p->pid,
                (long long)p->calls, (long long)p->failed, (long long)p->signals);
        json_out_number(f, p->first);
        fputs(", \"last\": ", f);
        json_out_number(f, p->last);
        fputs(", \"duration_total\": ", f);
        json_out_number(f, p->dur_total);
        fputs(", \"top_call\": ", f);
        if (p->top_call >= 0) json_out_string(f, report_name(r, p->top_call));
        else fputs("null", f);
        fputs(", \"end\": ", f);
        if (p->end == 1) fprintf(f, "{\"exited\": %d}", p->status);
        else if (p->end == 2) {
            fputs("{\"killed\": ", f);
            json_out_string(f, string_table_get(&r->signal_names, p->end_signal));
            fputc('}', f);
        } else if (p->end == 3) fprintf(f, "{\"superseded_by\": %d}", p->status);
        else fputs("null", f);
        fputc('}', f);
    }
    fprintf(f, "\n  ],\n  \"timeline\": {\"axis\": \"%s\", \"span\": ", r->timeline_by_time ? "seconds" : "calls");
    json_out_number(f, r->span);
    fprintf(f, ", \"slices\": %d, \"counts\": {", r->n_slices);
    for (int c = 0; c < CAT_COUNT; c++) {
        fprintf(f, "%s\n    ", c ? "," : "");
        json_out_string(f, syscall_category_name(c));
        fputs(": ", f);
        json_out_int_array(f, r->slice_counts[c], r->n_slices);
    }
    fprintf(f, "\n  }},\n  \"phases\": {\"method\": \"binary segmentation on the Jensen-Shannon divergence of adjacent windows\", "
               "\"window\": %d, \"min_js_bits\": ",
            r->window);
    json_out_number(f, r->js_threshold);
    fputs(", \"phases\": [", f);
    for (int k = 0; k < r->n_phases; k++) {
        const report_phase *ph = &r->phases[k];
        fprintf(f, "%s\n    {\"start\": %lld, \"end\": %lld, \"t_start\": ", k ? "," : "", (long long)ph->start, (long long)ph->end);
        json_out_number(f, ph->t_start);
        fputs(", \"t_end\": ", f);
        json_out_number(f, ph->t_end);
        fputs(", \"boundary_js\": ", f);
        json_out_number(f, ph->boundary_js < 0 ? NAN : ph->boundary_js);
        fprintf(f, ", \"starts_trace\": %s", ph->boundary_js < 0 || k == 0 ? "true" : "false");
        fputs(", \"category\": ", f);
        json_out_string(f, syscall_category_name(ph->category));
        fputs(", \"top\": [", f);
        for (int j = 0; j < ph->n_top; j++) {
            fputs(j ? ", " : "", f);
            fputs("{\"name\": ", f);
            json_out_string(f, report_name(r, ph->top[j]));
            fputs(", \"share\": ", f);
            json_out_number(f, ph->top_share[j]);
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fprintf(f, "\n  ]},\n  \"transitions\": {\"pairs\": %lld, \"top\": [", (long long)r->transition_total);
    for (int k = 0; k < r->n_transitions; k++) {
        const report_transition *t = &r->transitions[k];
        fprintf(f, "%s\n    {\"from\": ", k ? "," : "");
        json_out_string(f, report_name(r, t->from));
        fputs(", \"to\": ", f);
        json_out_string(f, report_name(r, t->to));
        fprintf(f, ", \"count\": %lld, \"probability\": ", (long long)t->count);
        json_out_number(f, t->prob);
        fputc('}', f);
    }
    fputs("\n  ], \"heatmap\": {\"calls\": [", f);
    for (int a = 0; a < r->n_heat; a++) {
        fputs(a ? ", " : "", f);
        json_out_string(f, report_name(r, r->heat_names[a]));
    }
    fputs("], \"counts\": [", f);
    for (int a = 0; a < r->n_heat; a++) {
        fputs(a ? ", " : "", f);
        json_out_int_array(f, r->heat_counts + a * REPORT_HEAT_CALLS, r->n_heat);
    }
    fprintf(f, "]}},\n  \"prediction\": {\"train_calls\": %lld, \"test_calls\": %lld, \"most_frequent_accuracy\": ",
            (long long)r->train_calls, (long long)r->test_calls);
    json_out_number(f, r->predict_accuracy[0]);
    fputs(", \"accuracy\": {", f);
    for (int n = 1; n <= REPORT_MAX_N; n++) {
        fprintf(f, "%s\"%d\": ", n > 1 ? ", " : "", n);
        json_out_number(f, r->predict_accuracy[n]);
    }
    fputs("}, \"context_seen\": {", f);
    for (int n = 1; n <= REPORT_MAX_N; n++)
        fprintf(f, "%s\"%d\": %lld", n > 1 ? ", " : "", n, (long long)r->predict_seen[n]);
    fputs("}},\n  \"entropy\": {\"call\": ", f);
    json_out_number(f, r->entropy[0]);
    fputs(", \"next_given_previous\": {", f);
    for (int n = 1; n <= REPORT_MAX_N; n++) {
        fprintf(f, "%s\"%d\": ", n > 1 ? ", " : "", n);
        json_out_number(f, r->entropy[n]);
    }
    fputs("}},\n  \"seconds\": ", f);
    json_out_number(f, r->seconds);
    fputs("\n}\n", f);
}
