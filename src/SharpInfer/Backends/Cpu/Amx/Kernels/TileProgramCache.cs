using System.Collections.Concurrent;
using SharpInfer.Platform.X64;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// The tile programs of one kernel, emitted once per block shape met. Every thread looks a program up
/// once per output block, so lookups take no lock.
/// </summary>
internal sealed class TileProgramCache(X64Abi abi)
{
    private readonly ConcurrentDictionary<TileGemmShape, byte[]> _programs = new();

    /// <summary>The programs emitted so far.</summary>
    public int Count => _programs.Count;

    public byte[] For(TileGemmShape shape) =>
        _programs.TryGetValue(shape, out var code) ? code : _programs.GetOrAdd(shape, s => TileGemmKernelEmitter.Emit(s, abi));
}
