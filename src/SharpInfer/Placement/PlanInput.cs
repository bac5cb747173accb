using SharpInfer.Format.Gguf;

namespace SharpInfer.Placement;

/// <summary>What the planner needs to know about a model: its tensors (in file order) and its layer count.</summary>
public sealed record PlanInput(IReadOnlyList<GgufTensorInfo> Tensors, int NLayer)
{
    /// <summary>Reads the tensor list and <c>{arch}.block_count</c> of an open file.</summary>
    public static PlanInput FromGguf(GgufFile file)
    {
        string arch = file.Architecture ?? throw new SharpInferException($"{file.Path}: no general.architecture");
        var count = file.GetValue($"{arch}.block_count")
            ?? throw new SharpInferException($"{file.Path}: no {arch}.block_count");
        return new PlanInput(file.Tensors, checked((int)count.AsInt64()));
    }
}
