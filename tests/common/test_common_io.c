/* Known-answer and round-trip tests for .npy and text window I/O, the dataset
 * .h5 file and the Philox RNG. */
#include "dataset_h5.h"
#include "npy.h"
#include "philox.h"
#include "test_util.h"
#include "window_source.h"
#include "windows.h"

#include <stdio.h>
#include <unistd.h>

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static void test_text_windows(void) {
    error_info err;
    window_set ws;
    write_file("w.txt", "1,2,3\n4, 5 ,6\n\n7.0,8,9");
    CHECK(windows_read_text("w.txt", &ws, &err) == 0);
    CHECK(ws.count == 3 && ws.length == 3);
    CHECK(ws.ids[0] == 1 && ws.ids[4] == 5 && ws.ids[6] == 7 && ws.ids[8] == 9);
    CHECK(windows_write_text("w2.txt", &ws, &err) == 0);
    FILE *f = fopen("w2.txt", "rb");
    char buf[64] = {0};
    CHECK(fread(buf, 1, sizeof buf - 1, f) > 0);
    fclose(f);
    CHECK(strcmp(buf, "1,2,3\n4,5,6\n7,8,9") == 0);
    window_set_free(&ws);

    /* Rounding half to even, as numpy does. */
    write_file("r.txt", "2.5,3.5,-0.5,1.49999");
    CHECK(windows_read_text("r.txt", &ws, &err) == 0);
    CHECK(ws.ids[0] == 2 && ws.ids[1] == 4 && ws.ids[2] == 0 && ws.ids[3] == 1);
    window_set_free(&ws);

    write_file("ragged.txt", "1,2,3\n4,5\n");
    CHECK(windows_read_text("ragged.txt", &ws, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "ragged.txt:2");
    write_file("bad.txt", "1,2,x3\n");
    CHECK(windows_read_text("bad.txt", &ws, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "bad.txt:1: token 3 'x3' is not a number");
    write_file("nan.txt", "1,nan\n");
    CHECK(windows_read_text("nan.txt", &ws, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "nan.txt:1");
    write_file("empty.txt", "");
    CHECK(windows_read_text("empty.txt", &ws, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "empty");
}

static void test_npy(void) {
    error_info err;
    window_set ws, back;
    window_set_init(&ws, 2, 3);
    for (int i = 0; i < 6; i++) ws.ids[i] = 10 + i;
    CHECK(windows_write_npy("w.npy", &ws, &err) == 0);
    CHECK(windows_read_npy("w.npy", &back, &err) == 0);
    CHECK(back.count == 2 && back.length == 3 && back.ids[5] == 15);
    window_set_free(&back);
    /* Float (N,1,L) with values to round. */
    float vals[6] = {1.4f, 2.5f, 3.5f, 4.6f, 5.0f, 6.0f};
    int64_t shape[3] = {2, 1, 3};
    CHECK(npy_write_float32("f.npy", vals, 3, shape, &err) == 0);
    CHECK(windows_read_npy("f.npy", &back, &err) == 0);
    CHECK(back.count == 2 && back.length == 3);
    CHECK(back.ids[0] == 1 && back.ids[1] == 2 && back.ids[2] == 4 && back.ids[3] == 5);
    window_set_free(&back);
    write_file("bad.npy", "\x93NUMPY\x01\x00\x10\x00{'descr': '<i4'");
    CHECK(windows_read_npy("bad.npy", &back, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "bad.npy");
    window_set_free(&ws);
}

static void test_dataset_h5(void) {
    error_info err;
    dataset ds = {0}, back;
    snprintf(ds.name, sizeof ds.name, "toy");
    ds.length = 4;
    ds.stride = 1;
    snprintf(ds.events, sizeof ds.events, "call");
    snprintf(ds.split, sizeof ds.split, "run");
    window_set_init(&ds.training, 2, 4);
    window_set_init(&ds.testing, 1, 4);
    int32_t tr[8] = {1, 2, 1, 3, 2, 1, 1, 1}, te[4] = {3, 2, 1, 1};
    memcpy(ds.training.ids, tr, sizeof tr);
    memcpy(ds.testing.ids, te, sizeof te);
    char *names[3] = {"read", "write", "openat"};
    int64_t counts[3] = {6, 3, 1};
    ds.vocab.size = 3;
    ds.vocab.names = names;
    ds.vocab.counts = counts;
    CHECK(system("mkdir -p toyds") == 0);
    CHECK(dataset_h5_write("toyds/toy.h5", &ds, &err) == 0);
    CHECK(dataset_h5_read("toyds/toy.h5", &back, &err) == 0);
    CHECK(back.vocab.size == 3 && strcmp(back.vocab.names[2], "openat") == 0 && back.vocab.counts[0] == 6);
    CHECK(back.training.count == 2 && back.testing.ids[0] == 3 && strcmp(back.events, "call") == 0);
    dataset_free(&back);
    window_set wt;
    CHECK(windows_load("toyds", "testing", 0, &wt, &err) == 0);
    CHECK(wt.count == 1 && wt.ids[1] == 2);
    window_set_free(&wt);
    CHECK(dataset_h5_read("w.txt", &back, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "not an HDF5 file");
    window_set_free(&ds.training);
    window_set_free(&ds.testing);
}

static void test_philox(void) {
    /* Known answer from the Random123 test vectors (Philox4x32-10, zero key and counter). */
    philox_u32x4 c = {{0, 0, 0, 0}};
    philox_u32x4 r = philox4x32(c, 0, 0);
    CHECK(r.v[0] == 0x6627e8d5u && r.v[1] == 0xe169c58du && r.v[2] == 0xbc57ac4cu && r.v[3] == 0x9b00dbd8u);
    philox_u32x4 c2 = {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}};
    r = philox4x32(c2, 0xa4093822u, 0x299f31d0u);
    CHECK(r.v[0] == 0xd16cfe09u && r.v[1] == 0x94fdccebu && r.v[2] == 0x5001e420u && r.v[3] == 0x24126ea1u);
    /* Normal draws: mean ~0, variance ~1 over many samples. */
    double s = 0, s2 = 0;
    int n = 200000;
    for (int i = 0; i < n; i++) {
        double v = philox_normal(42, 7, (uint64_t)i);
        s += v;
        s2 += v * v;
    }
    CHECK_CLOSE(s / n, 0.0, 0.01, 0);
    CHECK_CLOSE(s2 / n, 1.0, 0.02, 0);
}

int main(void) {
    test_text_windows();
    test_npy();
    test_dataset_h5();
    test_philox();
    return test_finish("common_io");
}
