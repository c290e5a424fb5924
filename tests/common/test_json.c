/* JSON reading and writing (common/json_read.h, common/json_out.h): values
 * read back, errors that name the source, line and column, duplicate keys
 * refused, numbers that are not finite written as null, whole numbers
 * written without a fraction, text that is not UTF-8 made valid, and text
 * too long for its buffer refused instead of cut. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_out.h"
#include "json_read.h"
#include "test_util.h"

/* What a writer puts on a stream, as a string (freed by the caller). */
#define CAPTURE(text, call)                                   \
    do {                                                      \
        size_t capture_size_;                                 \
        FILE *f = open_memstream(&(text), &capture_size_);    \
        call;                                                 \
        fclose(f);                                            \
    } while (0)

static void test_read(void) {
    error_info err;
    json_t *v = json_read_text("{\"a\": [1, 2.5e1, true, null], \"b\": {\"c\": \"x\\ty\\u00e9\\ud83d\\ude00\"}}", "t", &err);
    CHECK_MSG(v != NULL, "%s", err.message);
    json_t *a = json_object_get(v, "a");
    CHECK(json_is_array(a) && json_array_size(a) == 4 && json_number_value(json_array_get(a, 1)) == 25.0);
    CHECK(json_is_integer(json_array_get(a, 0)) && json_is_true(json_array_get(a, 2)));
    const char *c = json_string_value(json_object_get(json_object_get(v, "b"), "c"));
    CHECK(c && strcmp(c, "x\ty\xc3\xa9\xf0\x9f\x98\x80") == 0);
    CHECK(strcmp(json_kind_name(a), "an array") == 0 && strcmp(json_kind_name(json_array_get(a, 1)), "a number") == 0);
    json_decref(v);

    struct { const char *text, *needle; } bad[] = {
        {"{\n  \"a\": 1,\n  \"b\" 2\n}", "cfg.json:3:"},
        {"{\"lr\": 1e-3,\n \"lr\": 2e-4}", "cfg.json:2:"},   /* a key given twice */
        {"[1, 2", "cfg.json:1:"},
        {"{} x", "cfg.json:1:"},
        {"{\"a\": NaN}", "cfg.json:1:"},
        {"", "cfg.json:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err.message[0] = 0;
        v = json_read_text(bad[i].text, "cfg.json", &err);
        CHECK_MSG(v == NULL, "'%s' accepted", bad[i].text);
        json_decref(v);
        CHECK_STR_CONTAINS(err.message, bad[i].needle);
    }
    v = json_read_text("{\"lr\": 1, \"lr\": 2}", "cfg.json", &err);
    CHECK(v == NULL);
    CHECK_STR_CONTAINS(err.message, "duplicate");

    FILE *f = fopen("t_config.json", "w");
    fputs("{\n  \"preset\": \"tiny\",\n  \"model\": {\"T\": 20,}\n}\n", f);
    fclose(f);
    v = json_read_file("t_config.json", &err);
    CHECK(v == NULL);
    CHECK_STR_CONTAINS(err.message, "t_config.json:3:");
    f = fopen("t_config.json", "w");
    fputs("{\"preset\": \"tiny\"}", f);
    fclose(f);
    v = json_read_file("t_config.json", &err);
    CHECK(v && strcmp(json_string_value(json_object_get(v, "preset")), "tiny") == 0);
    json_decref(v);
    remove("t_config.json");
    CHECK(json_read_file("t_no_such.json", &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "t_no_such.json: cannot open");
    mkdir("t_dir.json", 0755);
    CHECK(json_read_file("t_dir.json", &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "t_dir.json: a directory");
    rmdir("t_dir.json");
}

static void test_values(void) {
    json_t *v = json_number_of(NAN);
    CHECK(json_is_null(v));
    json_decref(v);
    v = json_number_of(-INFINITY);
    CHECK(json_is_null(v));
    json_decref(v);
    v = json_number_of(50.0);
    CHECK(json_is_integer(v) && json_integer_value(v) == 50);
    json_decref(v);
    v = json_number_of(0.25);
    CHECK(json_is_real(v) && json_real_value(v) == 0.25);
    json_decref(v);
    v = json_number_of(1e300); /* whole, but beyond what an integer holds */
    CHECK(json_is_real(v));
    json_decref(v);
    v = json_string_of("ok \xff\xfe end \xc3\xa9 \xed\xa0\x80");
    CHECK(v && strcmp(json_string_value(v), "ok \xef\xbf\xbd\xef\xbf\xbd end \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd") == 0);
    json_decref(v);
}

static void test_stream_writers(void) {
    char *t = NULL;
    CAPTURE(t, (json_out_number(f, NAN), fputc(' ', f), json_out_number(f, INFINITY), fputc(' ', f),
                json_out_number(f, 50), fputc(' ', f), json_out_number(f, 0.1), fputc(' ', f),
                json_out_number(f, 1.0 / 3.0), fputc(' ', f), json_out_number(f, -2.5e-7)));
    CHECK_MSG(strcmp(t, "null null 50 0.1 0.3333333333 -2.5e-7") == 0, "numbers: %s", t);
    free(t);
    CAPTURE(t, json_out_string(f, "a\"b\\c\n\x01/\xc3\xa9"));
    CHECK_MSG(strcmp(t, "\"a\\\"b\\\\c\\n\\u0001/\xc3\xa9\"") == 0, "string: %s", t);
    free(t);
    CAPTURE(t, json_out_string(f, "bad\xff"));
    CHECK_MSG(strcmp(t, "\"bad\xef\xbf\xbd\"") == 0, "string: %s", t);
    free(t);
    int64_t ints[3] = {-1, 0, 9007199254740993LL};
    CAPTURE(t, (json_out_int_array(f, ints, 3), json_out_int_array(f, ints, 0)));
    CHECK_MSG(strcmp(t, "[-1,0,9007199254740993][]") == 0, "ints: %s", t);
    free(t);
}

static void test_documents(void) {
    json_t *doc = json_pack("{s:s, s:I, s:o, s:o, s:b}", "type", "val", "step", (json_int_t)12, "val_loss",
                            json_number_of(0.5), "val_accuracy", json_number_of(NAN), "best", 1);
    char *text = json_text(doc, JSON_OUT_COMPACT(9), "test");
    CHECK_MSG(strcmp(text, "{\"type\":\"val\",\"step\":12,\"val_loss\":0.5,\"val_accuracy\":null,\"best\":true}") == 0,
              "compact: %s", text);
    free(text);
    text = json_text(doc, JSON_OUT_ONE_LINE(17), "test");
    CHECK_MSG(strcmp(text, "{\"type\": \"val\", \"step\": 12, \"val_loss\": 0.5, \"val_accuracy\": null, \"best\": true}") == 0,
              "one line: %s", text);
    size_t need = strlen(text);
    free(text);
    /* Into a buffer: exactly enough room fits; one byte less is an error, and nothing is cut. */
    char buf[256];
    error_info err;
    CHECK(need + 1 <= sizeof buf);
    CHECK(json_text_into(doc, JSON_OUT_ONE_LINE(17), buf, need + 1, "state", &err) == 0 && strlen(buf) == need);
    memset(buf, 'x', sizeof buf);
    CHECK(json_text_into(doc, JSON_OUT_ONE_LINE(17), buf, need, "state", &err) == -1);
    CHECK_STR_CONTAINS(err.message, "state:");
    CHECK_STR_CONTAINS(err.message, "do not fit");
    json_decref(doc);
    /* 17 digits give back every double. */
    double x = 0.1 + 0.2;
    doc = json_pack("{s:o}", "x", json_number_of(x));
    text = json_text(doc, JSON_OUT_COMPACT(17), "test");
    error_info e2;
    json_t *back = json_read_text(text, "test", &e2);
    CHECK(back && json_real_value(json_object_get(back, "x")) == x);
    json_decref(back);
    json_decref(doc);
    free(text);
}

int main(void) {
    test_read();
    test_values();
    test_stream_writers();
    test_documents();
    return test_finish("test_json");
}
