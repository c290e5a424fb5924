/* The list of cases the checker runs on every backend (op_check.h): every
 * operation of the backend table at small, awkward shapes, larger ones with
 * OPC_BIG, and the checks against the CPU backend with OPC_CROSS. */
#include "op_check.h"

/* Every operation in the backend table. A new entry in backend_ops changes
 * its size and stops the build here until it is listed and checked. */
const char *const opc_backend_op_names[] = {
    "alloc", "upload", "download", "copy", "zero",
    "gemm", "im2col_k3", "col2im_k3",
    "add_bias", "bias_grad", "add_channel_vector", "scale_channels", "sum_over_length", "axpby", "sum_squares",
    "relu_forward", "relu_backward", "gelu_forward", "gelu_backward", "swish_forward", "swish_backward",
    "gate_forward", "gate_backward",
    "layernorm_forward", "layernorm_backward", "weight_norm_forward", "weight_norm_backward",
    "s4_kernel_forward", "s4_kernel_backward", "s4_conv_forward", "s4_conv_backward",
    "step_embedding", "normal_fill", "diffusion_noise", "masked_mse", "softmax_xent", "apply_observed",
    "ddpm_step", "ddim_step",
    "adam_update",
    NULL,
};
/* The name, 43 operations; free, synchronize and destroy are used by every case. */
_Static_assert(sizeof(backend_ops) == sizeof(const char *) + 43 * sizeof(void (*)(void)),
               "backend_ops changed: list the new operation in opc_backend_op_names and add a case for it");

/* GEMM's last parameter: batch | shared A << 8 | 4 beta << 16. */
#define GEMM_OPTS(batch, shared_a, beta) ((batch) | (shared_a) << 8 | (int)(4 * (beta)) << 16)

static const opc_case cases[] = {
    {"memory", opc_case_memory, {1}, 0},
    {"memory", opc_case_memory, {1000}, 0},
    {"memory", opc_case_memory, {70001}, OPC_BIG},

#define UNARY_AND_FRIENDS(n, flags)                                       \
    {"relu", opc_case_unary, {0, n}, flags},                              \
    {"gelu", opc_case_unary, {1, n}, flags},                              \
    {"swish", opc_case_unary, {2, n}, flags},                             \
    {"axpby_sum_squares", opc_case_axpby_sumsq, {n}, flags},              \
    {"adam_update", opc_case_adam, {n}, flags}
    UNARY_AND_FRIENDS(1, 0),
    UNARY_AND_FRIENDS(3, 0),
    UNARY_AND_FRIENDS(17, 0),
    UNARY_AND_FRIENDS(200, 0),
    UNARY_AND_FRIENDS(1000, 0),
    UNARY_AND_FRIENDS(70001, OPC_BIG),
#undef UNARY_AND_FRIENDS

    /* (B, C, L); LayerNorm at C <= 17 and L <= 40 (its finite differences
     * re-evaluate the whole reference per element). */
#define BCL(B, C, L, LN_C, LN_L, flags)                                   \
    {"gate", opc_case_gate, {B, C, L}, flags},                            \
    {"broadcasts", opc_case_broadcasts, {B, C, L}, flags},                \
    {"im2col_k3", opc_case_im2col, {B, C, L}, flags},                     \
    {"layernorm", opc_case_layernorm, {B, LN_C, LN_L}, flags},            \
    {"diffusion", opc_case_diffusion, {B, L}, flags}
    BCL(1, 1, 1, 1, 1, 0),
    BCL(2, 3, 17, 3, 17, 0),
    BCL(3, 5, 3, 5, 3, 0),
    BCL(1, 33, 64, 17, 40, 0),
    BCL(3, 5, 200, 5, 40, OPC_BIG),
#undef BCL

    /* (B, V, L, offset, scale) */
    {"softmax_xent", opc_case_softmax_xent, {1, 1, 1, 0, 1}, 0},
    {"softmax_xent", opc_case_softmax_xent, {2, 5, 3, 0, 3}, 0},
    {"softmax_xent", opc_case_softmax_xent, {3, 61, 17, 0, 4}, 0},
    {"softmax_xent", opc_case_softmax_xent, {3, 61, 17, 80, 10}, 0},
    {"softmax_xent", opc_case_softmax_xent, {4, 257, 200, 0, 6}, OPC_BIG},

    /* (O, inner) */
    {"weight_norm", opc_case_weight_norm, {1, 1}, 0},
    {"weight_norm", opc_case_weight_norm, {5, 3}, 0},
    {"weight_norm", opc_case_weight_norm, {33, 17}, 0},
    {"weight_norm", opc_case_weight_norm, {3, 300}, 0},

    /* (trans A, trans B, m, n, k, batch options) */
    {"gemm", opc_case_gemm, {0, 0, 5, 7, 3, GEMM_OPTS(1, 0, 0.0)}, 0},
    {"gemm", opc_case_gemm, {1, 0, 4, 3, 6, GEMM_OPTS(2, 0, 1.0)}, 0},
    {"gemm", opc_case_gemm, {0, 1, 3, 5, 4, GEMM_OPTS(3, 1, 0.5)}, 0},
    {"gemm", opc_case_gemm, {1, 1, 6, 2, 5, GEMM_OPTS(2, 0, 0.0)}, 0},
    {"gemm", opc_case_gemm, {0, 0, 1, 1, 1, GEMM_OPTS(1, 0, 0.0)}, 0},

    /* S4 kernel (H, N2, L): L = 1, 2, 3, odd 17, even 64 and the model's 200 */
    {"s4_kernel", opc_case_s4_kernel, {1, 2, 1}, 0},
    {"s4_kernel", opc_case_s4_kernel, {2, 3, 2}, 0},
    {"s4_kernel", opc_case_s4_kernel, {1, 4, 3}, 0},
    {"s4_kernel", opc_case_s4_kernel, {3, 5, 17}, 0},
    {"s4_kernel", opc_case_s4_kernel, {2, 8, 64}, 0},
    {"s4_kernel", opc_case_s4_kernel, {2, 32, 200}, OPC_BIG},
    /* S4 convolution (B, H, L) */
    {"s4_conv", opc_case_s4_conv, {1, 1, 1}, 0},
    {"s4_conv", opc_case_s4_conv, {2, 3, 3}, 0},
    {"s4_conv", opc_case_s4_conv, {1, 2, 17}, 0},
    {"s4_conv", opc_case_s4_conv, {3, 5, 64}, 0},
    {"s4_conv", opc_case_s4_conv, {5, 2, 200}, OPC_BIG},
    {"s4_conv", opc_case_s4_conv, {2, 1, 129}, OPC_BIG},
    /* the four S4 operations against the CPU backend (B, H, N2, L) */
    {"s4_vs_cpu", opc_case_s4_vs_cpu, {2, 3, 8, 17}, OPC_CROSS},
    {"s4_vs_cpu", opc_case_s4_vs_cpu, {3, 4, 32, 200}, OPC_CROSS},
    {"s4_vs_cpu", opc_case_s4_vs_cpu, {1, 2, 32, 199}, OPC_CROSS},
    {"s4_vs_cpu", opc_case_s4_vs_cpu, {1, 1, 2, 1}, OPC_CROSS},
#ifdef SSSD_TEST_WITH_MODEL
    /* at the model's initialisation (H, L, against the CPU backend) */
    {"s4_hippo", opc_case_s4_hippo, {2, 200, 0}, 0},
    {"s4_hippo", opc_case_s4_hippo, {1, 199, 0}, 0},
    {"s4_hippo", opc_case_s4_hippo, {3, 16, 0}, 0},
    {"s4_hippo", opc_case_s4_hippo, {2, 200, 1}, OPC_CROSS},
    {"s4_hippo", opc_case_s4_hippo, {1, 199, 1}, OPC_CROSS},
    {"s4_hippo", opc_case_s4_hippo, {3, 16, 1}, OPC_CROSS},
    /* the whole network: a miniature one everywhere, the tiny preset where it is quick */
    {"network", opc_case_model_vs_cpu, {1}, OPC_CROSS},
    {"network", opc_case_model_vs_cpu, {0}, OPC_CROSS | OPC_BIG | OPC_NOT_EMULATED},
#endif
};

const opc_case *opc_cases(int *count) {
    *count = (int)(sizeof cases / sizeof cases[0]);
    return cases;
}
