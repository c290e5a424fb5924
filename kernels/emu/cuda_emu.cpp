/* Runtime of the host CUDA emulation (cuda_emu.h): a persistent pool of OS
 * threads that play the threads of one block at a time, real block and warp
 * barriers, the warp shuffle mailboxes and launch-configuration checks that
 * mirror what a real launch would refuse (so a bad configuration fails here
 * rather than first on a GPU). Every hand-over is a mutex or a release/acquire
 * pair on an atomic, which is exactly what lets ThreadSanitizer reason about
 * it; threads sleep on a futex on that atomic (Linux), so waking a block's
 * threads costs one system call rather than a mutex hand-off per thread. */
#include "cuda_emu.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <climits>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

__thread uint3 threadIdx;
__thread uint3 blockIdx;
__thread dim3 blockDim;
__thread dim3 gridDim;

namespace emu {
namespace {

/* Limits of sm_80/sm_90 that a launch must respect. */
constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr size_t kMaxDynamicShared = 48 * 1024;  /* without opting in to more */

/* Sleep while *word == expected (spurious wake-ups allowed); wake sleepers. */
void wait_while_equal(std::atomic<uint32_t> &word, uint32_t expected) {
    while (word.load(std::memory_order_acquire) == expected) {
#if defined(__linux__)
        syscall(SYS_futex, reinterpret_cast<uint32_t *>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
#else
        std::this_thread::yield();
#endif
    }
}
void wake_all(std::atomic<uint32_t> &word) {
#if defined(__linux__)
    syscall(SYS_futex, reinterpret_cast<uint32_t *>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
#else
    (void)word;
#endif
}
void wake_one(std::atomic<uint32_t> &word) {
#if defined(__linux__)
    syscall(SYS_futex, reinterpret_cast<uint32_t *>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
#else
    (void)word;
#endif
}

/* A reusable barrier whose party count shrinks when a thread leaves the
 * kernel (as exited threads stop counting on the hardware). The counters are
 * guarded by a mutex; waiting is on the generation word, so released threads
 * do not queue for the mutex again. */
class Barrier {
  public:
    void reset(int parties) {
        std::lock_guard<std::mutex> lock(m_);
        expected_ = parties;
        arrived_ = 0;
    }
    void arrive_and_wait() {
        uint32_t gen;
        {
            std::lock_guard<std::mutex> lock(m_);
            gen = generation_.load(std::memory_order_relaxed);
            if (++arrived_ >= expected_) {
                release_locked();
                return;
            }
        }
        wait_while_equal(generation_, gen);
    }
    void arrive_and_drop() {
        std::lock_guard<std::mutex> lock(m_);
        expected_--;
        if (arrived_ > 0 && arrived_ >= expected_) release_locked();
    }

  private:
    void release_locked() {
        arrived_ = 0;
        generation_.fetch_add(1, std::memory_order_acq_rel);
        wake_all(generation_);
    }
    std::mutex m_;
    int expected_ = 0, arrived_ = 0;
    std::atomic<uint32_t> generation_{0};
};

struct Warp {
    Barrier barrier;
    int live = 0;                      /* threads of the block in this warp */
    alignas(16) unsigned char slot[32][16];
};

struct Block {
    Barrier barrier;
    std::vector<std::unique_ptr<Warp>> warps;
    std::vector<std::max_align_t> dynamic;
    size_t dynamic_bytes = 0;
    dim3 grid, dim;
    uint3 index;
    const std::function<void()> *body = nullptr;
};

thread_local int t_linear = -1;
thread_local Block *t_block = nullptr;

class Pool {
  public:
    ~Pool() {
        for (auto &w : workers_) {
            w->quit.store(true, std::memory_order_release);
            w->go.fetch_add(1, std::memory_order_acq_rel);
            wake_one(w->go);
        }
        for (auto &w : workers_) w->thread.join();
    }

    /* Runs every thread of `block` (its fields already set) to completion. */
    void run_block(Block *block, int nthreads) {
        grow(nthreads);
        remaining_.store(nthreads, std::memory_order_relaxed);
        uint32_t done_gen = done_.load(std::memory_order_acquire);
        for (int i = 0; i < nthreads; i++) {
            Worker *w = workers_[(size_t)i].get();
            /* The worker is idle (it finished the previous block before we got
             * here), so it does not read `block` until `go` changes. */
            w->block = block;
            w->go.fetch_add(1, std::memory_order_acq_rel);
            wake_one(w->go);
        }
        wait_while_equal(done_, done_gen);
    }

  private:
    struct Worker {
        std::thread thread;
        std::atomic<uint32_t> go{0};
        std::atomic<bool> quit{false};
        Block *block = nullptr;
        int linear = 0;
    };

    void grow(int n) {
        while ((int)workers_.size() < n) {
            auto w = std::make_unique<Worker>();
            w->linear = (int)workers_.size();
            Worker *raw = w.get();
            w->thread = std::thread([this, raw] { worker_main(raw); });
            workers_.push_back(std::move(w));
        }
    }

    void worker_main(Worker *w) {
        uint32_t seen = 0;
        for (;;) {
            wait_while_equal(w->go, seen);
            seen = w->go.load(std::memory_order_acquire);
            if (w->quit.load(std::memory_order_acquire)) return;
            Block *block = w->block;
            int lin = w->linear;
            unsigned bx = block->dim.x, by = block->dim.y;
            threadIdx = uint3{lin % bx, (lin / bx) % by, lin / (bx * by)};
            blockIdx = block->index;
            blockDim = block->dim;
            gridDim = block->grid;
            t_linear = lin;
            t_block = block;
            (*block->body)();
            /* Leaving the kernel: stop counting in the barriers others may still use. */
            block->warps[(size_t)(lin / warpSize)]->barrier.arrive_and_drop();
            block->barrier.arrive_and_drop();
            t_block = nullptr;
            t_linear = -1;
            if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                done_.fetch_add(1, std::memory_order_acq_rel);
                wake_one(done_);
            }
        }
    }

    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<int> remaining_{0};
    std::atomic<uint32_t> done_{0};
};

Pool &pool() {
    static Pool p;
    return p;
}
std::mutex g_launch_mutex;
std::atomic<unsigned long long> g_launches{0};

[[noreturn]] void fail(const char *what, dim3 grid, dim3 block, size_t shared) {
    std::fprintf(stderr,
                 "cuda_emu: invalid launch (%s): grid (%u,%u,%u) block (%u,%u,%u) dynamic shared %zu bytes; "
                 "a GPU would refuse this launch too\n",
                 what, grid.x, grid.y, grid.z, block.x, block.y, block.z, shared);
    std::abort();
}

Block *current_block(const char *what) {
    if (!t_block) {
        std::fprintf(stderr, "cuda_emu: %s called outside a kernel\n", what);
        std::abort();
    }
    return t_block;
}

}  // namespace

void launch(dim3 grid, dim3 block, size_t dynamic_shared_bytes, const std::function<void()> &body) {
    unsigned long long nthreads = (unsigned long long)block.x * block.y * block.z;
    if (nthreads == 0 || nthreads > kMaxThreadsPerBlock || block.z > 64) fail("block size", grid, block,
                                                                              dynamic_shared_bytes);
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535)
        fail("grid size", grid, block, dynamic_shared_bytes);
    if (dynamic_shared_bytes > kMaxDynamicShared) fail("shared memory", grid, block, dynamic_shared_bytes);

    std::lock_guard<std::mutex> serial(g_launch_mutex);
    g_launches++;
    Block b;
    b.grid = grid;
    b.dim = block;
    b.body = &body;
    b.dynamic_bytes = dynamic_shared_bytes;
    b.dynamic.resize((dynamic_shared_bytes + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t) + 1);
    int n = (int)nthreads;
    int nwarps = (n + warpSize - 1) / warpSize;
    for (int w = 0; w < nwarps; w++) {
        b.warps.push_back(std::make_unique<Warp>());
        b.warps.back()->live = (n - w * warpSize) < warpSize ? n - w * warpSize : warpSize;
    }
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                b.index = uint3{x, y, z};
                b.barrier.reset(n);
                for (auto &w : b.warps) w->barrier.reset(w->live);
                /* Shared memory starts as garbage on a GPU: all-ones bytes are NaN
                 * in float and double, so reading it before writing shows up. */
                std::memset(b.dynamic.data(), 0xff, b.dynamic.size() * sizeof(std::max_align_t));
                pool().run_block(&b, n);
            }
}

void sync_block() { current_block("__syncthreads")->barrier.arrive_and_wait(); }

void sync_warp() { current_block("__syncwarp")->warps[(size_t)(t_linear / warpSize)]->barrier.arrive_and_wait(); }

void *dynamic_shared() { return current_block("dynamic shared memory")->dynamic.data(); }

int lane_id() {
    current_block("lane id");
    return t_linear % warpSize;
}

int warp_live_lanes() { return current_block("warp size")->warps[(size_t)(t_linear / warpSize)]->live; }

void warp_exchange(const void *in, void *out, int src_lane, size_t bytes) {
    Block *b = current_block("warp shuffle");
    if (bytes > 16) {
        std::fprintf(stderr, "cuda_emu: shuffle of %zu bytes is not supported\n", bytes);
        std::abort();
    }
    Warp &w = *b->warps[(size_t)(t_linear / warpSize)];
    int lane = t_linear % warpSize;
    std::memcpy(w.slot[lane], in, bytes);
    w.barrier.arrive_and_wait();   /* every lane has deposited */
    if (src_lane >= 0 && src_lane < w.live) std::memcpy(out, w.slot[src_lane], bytes);
    else std::memcpy(out, in, bytes);
    w.barrier.arrive_and_wait();   /* every lane has read before the mailbox is reused */
}

unsigned long long launch_count() { return g_launches.load(); }

}  // namespace emu
