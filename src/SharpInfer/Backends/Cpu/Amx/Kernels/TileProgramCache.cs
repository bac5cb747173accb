using System.Collections.Concurrent;
using SharpInfer.Platform.X64;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// The tile programs of one kernel, emitted once per block shape met, with the config program of each tile geometry
/// and the release program. Every thread looks programs up once per output block, so lookups take no lock.
/// </summary>
internal sealed class TileProgramCache(X64Abi abi)
{
    private readonly ConcurrentDictionary<TileGemmShape, byte[]> _programs = new();
    private readonly ConcurrentDictionary<TileGemmShape, byte[]> _configs = new();

    /// <summary>The GEMM programs emitted so far.</summary>
    public int Count => _programs.Count;

    public byte[] For(TileGemmShape shape) =>
        _programs.TryGetValue(shape, out var code) ? code : _programs.GetOrAdd(shape, s => TileGemmKernelEmitter.Emit(s, abi));

    /// <summary>The program loading the tile config <paramref name="shape"/> needs; shapes of one <see cref="Geometry"/> share it.</summary>
    public byte[] ConfigureFor(TileGemmShape shape)
    {
        var key = Geometry(shape);
        return _configs.TryGetValue(key, out var code) ? code : _configs.GetOrAdd(key, TileGemmKernelEmitter.EmitConfigure);
    }

    public byte[] Release { get; } = TileGemmKernelEmitter.EmitRelease();

    /// <summary>What the tile config depends on: the block's tile sizes and K step, not the dot product or where sums go.</summary>
    public static TileGemmShape Geometry(TileGemmShape shape) => shape with { PerStepOutput = false, Dot = TileDot.SignedInt8 };
}
