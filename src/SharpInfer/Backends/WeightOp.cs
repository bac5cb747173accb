namespace SharpInfer.Backends;

/// <summary>The operation a weight is used with; a buffer type may accept a weight for one and not another.</summary>
public enum WeightOp
{
    /// <summary>Matrix multiplication (ggml MUL_MAT): the weight is the left operand.</summary>
    MatMul,
    /// <summary>Expert matrix multiplication (ggml MUL_MAT_ID) over a 3-D expert tensor.</summary>
    MatMulId,
    /// <summary>Row lookup (token embeddings).</summary>
    GetRows,
    /// <summary>Element-wise multiplication (norm weights).</summary>
    Mul,
    /// <summary>Element-wise addition (biases).</summary>
    Add,
    /// <summary>Addition selected per expert (expert biases).</summary>
    AddId,
    /// <summary>Rotary-embedding frequency factors.</summary>
    Rope,
}
