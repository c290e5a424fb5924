/* The ICSE'25 gap positions (see gap_chunks.h). */
#include "gap_chunks.h"

int gap_chunk_count(int length, int k) { return (length + k - 1) / k; }

void gap_chunk(int length, int k, int index, int *start, int *count) {
    *start = index * k;
    int end = *start + k < length ? *start + k : length;
    *count = end - *start;
}

void gap_mid_or_end(int length, int k, int at_end, int *start, int *count) {
    int chunks = gap_chunk_count(length, k);
    gap_chunk(length, k, at_end ? chunks - 1 : chunks / 2, start, count);
}
