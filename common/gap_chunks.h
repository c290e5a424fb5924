/* The ICSE'25 gap positions, in one place for the model's masks and
 * evaluate's: range(L) cut into consecutive chunks of K events
 * (torch.split(range(L), K), the last chunk shorter); "mid:K" blanks chunk
 * count/2 and "end:K" the last. For L = 200 this gives the published gaps
 * (K = 10 -> 100..109, K = 30 -> 90..119, K = 40 -> 80..119), which
 * numpy.array_split(range(L), K) would not. */
#ifndef SSSD_COMMON_GAP_CHUNKS_H
#define SSSD_COMMON_GAP_CHUNKS_H

/* The number of K-event chunks of a window of `length` events. */
int gap_chunk_count(int length, int k);

/* Chunk `index`: its first position and its size. */
void gap_chunk(int length, int k, int index, int *start, int *count);

/* The middle chunk (at_end = 0, "mid:K") or the last (at_end = 1, "end:K"). */
void gap_mid_or_end(int length, int k, int at_end, int *start, int *count);

#endif
