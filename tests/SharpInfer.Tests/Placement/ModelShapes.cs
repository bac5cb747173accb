using SharpInfer.Format.Gguf;
using SharpInfer.Numerics;
using SharpInfer.Placement;

namespace SharpInfer.Tests.Placement;

/// <summary>
/// Tensor lists with the real shapes of published models (from their config.json / GGUF files),
/// generated in code so the planner can be exercised on big models without the files.
/// </summary>
public static class ModelShapes
{
    /// <summary>How matrices are quantized: all Q4_0 (what REPACK takes), or a Q4_K_M-like mix it must refuse in part.</summary>
    public enum Quant { Q4_0, Q8_0, Q4_K_M }

    private sealed record Dense(string Name, int NLayer, long Embd, long NHead, long NHeadKv, long HeadDim, long Ff, long Vocab,
        bool Tied, bool QkvBias, bool QkNorm, bool RopeFreqs, long Experts = 0, long FfExp = 0);

    private static readonly Dense Llama32_1B = new("Llama-3.2-1B", 16, 2048, 32, 8, 64, 8192, 128256, Tied: true, QkvBias: false, QkNorm: false, RopeFreqs: true);
    private static readonly Dense Llama3_8B = new("Llama-3-8B", 32, 4096, 32, 8, 128, 14336, 128256, Tied: false, QkvBias: false, QkNorm: false, RopeFreqs: false);
    private static readonly Dense Qwen25_05B = new("Qwen2.5-0.5B", 24, 896, 14, 2, 64, 4864, 151936, Tied: true, QkvBias: true, QkNorm: false, RopeFreqs: false);
    private static readonly Dense Qwen3_30B_A3B = new("Qwen3-30B-A3B", 48, 2048, 32, 4, 128, 6144, 151936, Tied: false, QkvBias: false, QkNorm: true, RopeFreqs: false, Experts: 128, FfExp: 768);

    public static PlanInput Llama32_1B_(Quant q) => Build(Llama32_1B, q);
    public static PlanInput Llama3_8B_(Quant q) => Build(Llama3_8B, q);
    public static PlanInput Qwen25_05B_(Quant q) => Build(Qwen25_05B, q);
    public static PlanInput Qwen3_30B_A3B_(Quant q) => Build(Qwen3_30B_A3B, q);

    public static IEnumerable<(string Name, PlanInput Input)> All()
    {
        foreach (var q in new[] { Quant.Q4_0, Quant.Q4_K_M })
        {
            yield return ($"Llama-3.2-1B-{q}", Llama32_1B_(q));
            yield return ($"Llama-3-8B-{q}", Llama3_8B_(q));
            yield return ($"Qwen2.5-0.5B-{q}", Qwen25_05B_(q));
            yield return ($"Qwen3-30B-A3B-{q}", Qwen3_30B_A3B_(q));
        }
    }

    private static PlanInput Build(Dense m, Quant q)
    {
        var list = new List<(string, GgmlType, long[])>();
        GgmlType Mat(string role) => q switch
        {
            Quant.Q4_0 => GgmlType.Q4_0,
            Quant.Q8_0 => GgmlType.Q8_0,
            _ => role is "attn_v" or "ffn_down" ? GgmlType.Q6_K : GgmlType.Q4_K,
        };
        GgmlType embdType = q == Quant.Q4_K_M ? GgmlType.Q6_K : q == Quant.Q8_0 ? GgmlType.Q8_0 : GgmlType.Q4_0;
        list.Add(("token_embd.weight", embdType, [m.Embd, m.Vocab]));
        if (m.RopeFreqs) list.Add(("rope_freqs.weight", GgmlType.F32, [m.HeadDim / 2]));
        for (int i = 0; i < m.NLayer; i++)
        {
            string b = $"blk.{i}.";
            list.Add((b + "attn_norm.weight", GgmlType.F32, [m.Embd]));
            list.Add((b + "attn_q.weight", Mat("attn_q"), [m.Embd, m.NHead * m.HeadDim]));
            list.Add((b + "attn_k.weight", Mat("attn_k"), [m.Embd, m.NHeadKv * m.HeadDim]));
            list.Add((b + "attn_v.weight", Mat("attn_v"), [m.Embd, m.NHeadKv * m.HeadDim]));
            if (m.QkvBias)
            {
                list.Add((b + "attn_q.bias", GgmlType.F32, [m.NHead * m.HeadDim]));
                list.Add((b + "attn_k.bias", GgmlType.F32, [m.NHeadKv * m.HeadDim]));
                list.Add((b + "attn_v.bias", GgmlType.F32, [m.NHeadKv * m.HeadDim]));
            }
            if (m.QkNorm)
            {
                list.Add((b + "attn_q_norm.weight", GgmlType.F32, [m.HeadDim]));
                list.Add((b + "attn_k_norm.weight", GgmlType.F32, [m.HeadDim]));
            }
            list.Add((b + "attn_output.weight", Mat("attn_output"), [m.NHead * m.HeadDim, m.Embd]));
            list.Add((b + "ffn_norm.weight", GgmlType.F32, [m.Embd]));
            if (m.Experts > 0)
            {
                list.Add((b + "ffn_gate_inp.weight", GgmlType.F32, [m.Embd, m.Experts]));
                list.Add((b + "ffn_gate_exps.weight", Mat("ffn_gate"), [m.Embd, m.FfExp, m.Experts]));
                list.Add((b + "ffn_down_exps.weight", Mat("ffn_down"), [m.FfExp, m.Embd, m.Experts]));
                list.Add((b + "ffn_up_exps.weight", Mat("ffn_up"), [m.Embd, m.FfExp, m.Experts]));
            }
            else
            {
                list.Add((b + "ffn_gate.weight", Mat("ffn_gate"), [m.Embd, m.Ff]));
                list.Add((b + "ffn_down.weight", Mat("ffn_down"), [m.Ff, m.Embd]));
                list.Add((b + "ffn_up.weight", Mat("ffn_up"), [m.Embd, m.Ff]));
            }
        }
        list.Add(("output_norm.weight", GgmlType.F32, [m.Embd]));
        if (!m.Tied) list.Add(("output.weight", q == Quant.Q4_0 ? GgmlType.Q4_0 : GgmlType.Q6_K, [m.Embd, m.Vocab]));

        // offsets as a writer would lay them out: each tensor 32-byte aligned after the previous one
        var tensors = new List<GgufTensorInfo>(list.Count);
        ulong offset = 0;
        foreach (var (name, type, dims) in list)
        {
            var t = new GgufTensorInfo(name, type, dims, offset);
            tensors.Add(t);
            offset += (ulong)((t.ByteSize + 31) / 32 * 32);
        }
        return new PlanInput(tensors, m.NLayer);
    }
}
