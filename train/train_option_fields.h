/* The options of `train`, listed once. The command line, the "train" object
 * of --config, the options kept in checkpoints and logged (and read back on
 * --resume) and --help all expand or walk this table (train_options.c).
 *
 *   X(ID, name, member, KIND, lo, hi, choices, KEPT, SECTION, metavar, help)
 *   ID       OPT_<ID> is its bit in train_options.given
 *   name     --name on the command line; name with '_' for '-' in JSON
 *   member   the train_options field it sets
 *   KIND     STRING, INT, LLONG, REAL ([lo, hi]), REAL_ABOVE ((lo, hi]),
 *            CHOICE (one of `choices`, '|'-separated), ENCODING, SEED,
 *            MASK, FLAG (no value), CONFIG (--config FILE, read first)
 *   lo, hi   the range of INT, LLONG and REAL values
 *   KEPT     KEPT: defines the run, so it is kept in the checkpoint, logged
 *            and restored on --resume; LOCAL: belongs to this invocation
 *   SECTION  DATA, OPTIMISATION or RUN: where --help lists it
 *   help     --help's text; "\n" starts an indented continuation line
 *
 * Order matters: it is the order of the kept options in JSON (checkpoints,
 * log.jsonl) and, within each section, of --help. */
#ifndef SSSD_TRAIN_OPTION_FIELDS_H
#define SSSD_TRAIN_OPTION_FIELDS_H

#define TRAIN_OPTION_FIELDS(X)                                                                                     \
    X(DATASET, "dataset", dataset, STRING, 0, 0, NULL, KEPT, DATA, "SPEC",                                         \
      "shipped name (compress-gzip), dataset dir, NAME.h5 or the paper layout")                                    \
    X(LENGTH, "length", length, INT, 1, 1 << 20, NULL, LOCAL, DATA, "L",                                           \
      "window length (needed when a paper-layout dir has several)")                                                \
    X(PRESET, "preset", preset, CHOICE, 0, 0, "tiny|small|paper", KEPT, DATA, "P",                                 \
      "tiny | small (128 ch x 4 layers, default) | paper (256 x 36)")                                              \
    X(ENCODING, "encoding", encoding, ENCODING, 0, 0, "masked|bits|id", KEPT, DATA, "E",                           \
      "how events enter the network: masked (categorical, softmax head and\n"                                      \
      "masked diffusion; default), bits (analog bits), id (one float channel, as\n"                                \
      "the paper; for reproducing it)")                                                                            \
    X(CONFIG, "config", config_path, CONFIG, 0, 0, NULL, LOCAL, DATA, "FILE",                                      \
      "JSON: our layout {\"preset\", \"model\": {...}, \"train\": {...}}\n"                                        \
      "or SSSD's config_SSSDS4.json (wavenet_config, diffusion_config, train_config)")                             \
    X(ITERS, "iters", iters, LLONG, 1, 1000000000LL, NULL, KEPT, OPTIMISATION, "N",                                \
      "iterations in all (default: tiny 2000; small 20 epochs, at least 1500 and\n"                                \
      "at most 8000 (about an hour on 2 cores; the estimate for this machine is\n"                                 \
      "printed after 5 iterations); paper 10000)")                                                                 \
    X(BATCH, "batch", batch, INT, 1, 1 << 16, NULL, KEPT, OPTIMISATION, "B",                                       \
      "windows per iteration (default: tiny 8, small 32, paper 64)")                                               \
    X(LR, "lr", lr, REAL_ABOVE, 0, 10, NULL, KEPT, OPTIMISATION, "LR",                                             \
      "Adam learning rate (default 1e-3; SSSD used 2e-4)")                                                         \
    X(WEIGHT_DECAY, "weight-decay", weight_decay, REAL, 0, 10, NULL, KEPT, OPTIMISATION, "W",                      \
      "L2 weight decay (default 0)")                                                                               \
    X(DROPOUT, "dropout", dropout, REAL, 0, 0.9, NULL, KEPT, OPTIMISATION, "P",                                    \
      "drop each channel of each S4 layer's output with probability P in\n"                                        \
      "training (SSSD's s4_dropout; default 0)")                                                                   \
    X(NGRAM_PRIOR, "ngram-prior", ngram_prior, REAL, 0, 100, NULL, KEPT, OPTIMISATION, "W",                        \
      "masked: train the network as one expert of a product with an n-gram of\n"                                   \
      "the training trace, weighted W (0, the default: the network alone);\n"                                      \
      "generate then uses that product by default (measured no gain on\n"                                          \
      "tar-untar, README)")                                                                                        \
    X(NGRAM_INPUT, "ngram-input", ngram_input, CHOICE, 0, 0, "off|on", KEPT, OPTIMISATION, "on",                   \
      "masked: give the network, at each hidden position, the probabilities\n"                                     \
      "of an n-gram of the training trace as input (default off; measured no\n"                                    \
      "gain on tar-untar, README)")                                                                                \
    X(SEED, "seed", seed, SEED, 0, 0, NULL, KEPT, OPTIMISATION, "S", "seed of every random draw (default 1)")      \
    X(MASK, "mask", mask, MASK, 0, 0, NULL, KEPT, DATA, "SPEC",                                                    \
      "the task: mix (default): every window draws one of a gap, a forecast,\n"                                    \
      "missing events or synthesis, so that one checkpoint serves every task\n"                                    \
      "(shares and lengths: mix:gap=0.5,forecast=0.2,missing=0.1,none=0.2,\n"                                      \
      "max=K; gaps 1..K events, K = L/4 by default); or one task: mid:K\n"                                         \
      "(ICSE'25: mid:10), end:K, random-gap:K, missing:FRACTION, forecast:K,\n"                                    \
      "none (unconditional); loss on generated positions only")                                                    \
    X(WARMUP, "warmup", warmup, LLONG, 0, 1000000000LL, NULL, KEPT, OPTIMISATION, "N",                             \
      "linear warm-up over N iterations (default 100, or iters/10 if fewer)")                                      \
    X(DECAY, "decay", decay, CHOICE, 0, 0, "none|cosine", KEPT, OPTIMISATION, "none|cosine",                       \
      "learning-rate decay to 0 at --iters (default cosine)")                                                      \
    X(CLIP, "clip", clip, REAL, 0, 1e30, NULL, KEPT, OPTIMISATION, "NORM", "clip the gradient norm (default: off)") \
    X(EMA, "ema", ema, REAL, 0, 0.999999, NULL, KEPT, OPTIMISATION, "D",                                           \
      "validate, save and generate with a moving average of the weights, each\n"                                   \
      "iteration's weight (1 - D); early on it averages about the last ninth of\n"                                 \
      "the iterations run (default 0.999; 0: the trained weights as they are)")                                    \
    X(DEVICE, "device", device, CHOICE, 0, 0, "cpu|cuda|auto", LOCAL, RUN, "cpu|cuda|auto",                        \
      "(default auto: CUDA when a device exists)")                                                                 \
    X(THREADS, "threads", threads, INT, 1, 4096, NULL, LOCAL, RUN, "N", "CPU threads (default: all cores)")        \
    X(OUT, "out", out, STRING, 0, 0, NULL, LOCAL, RUN, "DIR",                                                      \
      "writes DIR/last.ckpt, DIR/best.ckpt, DIR/log.jsonl (default runs/NAME)")                                    \
    X(RESUME, "resume", resume, FLAG, 0, 0, NULL, LOCAL, RUN, "",                                                  \
      "continue from DIR/last.ckpt (same losses as an uninterrupted run)")                                         \
    X(VAL_EVERY, "val-every", val_every, LLONG, 0, 1000000000LL, NULL, KEPT, RUN, "N",                             \
      "validate every N iterations (default 500, 0 = off); best.ckpt is the\n"                                     \
      "checkpoint with the best validation: reconstruction accuracy on the\n"                                      \
      "windows with events observed (the loss when none are, --mask none)")                                        \
    X(VAL_SPLIT, "val-split", val_split, REAL, 0, 0.5, NULL, KEPT, RUN, "F",                                       \
      "validate on the last F of the training windows, held out of training\n"                                     \
      "with the windows that overlap them (default 0.05); 0: train on every\n"                                     \
      "training window and validate on the test windows (then best.ckpt is\n"                                      \
      "chosen on test data; runs resumed from before this option do so)")                                          \
    X(VAL_WINDOWS, "val-windows", val_windows, INT, 1, 1 << 20, NULL, KEPT, RUN, "N",                              \
      "validation windows used, evenly spaced (default 256)")                                                      \
    X(VAL_STEPS, "val-steps", val_steps, INT, 1, 100000, NULL, KEPT, RUN, "S",                                     \
      "DDIM steps of validation's reconstructions (default 20)")                                                   \
    X(CKPT_EVERY, "ckpt-every", ckpt_every, LLONG, 1, 1000000000LL, NULL, KEPT, RUN, "N",                          \
      "save DIR/last.ckpt every N iterations (default 100)")                                                       \
    X(QUIET, "quiet", quiet, FLAG, 0, 0, NULL, LOCAL, RUN, "",                                                     \
      "no per-step lines (validation lines and the summary remain)")

#endif
