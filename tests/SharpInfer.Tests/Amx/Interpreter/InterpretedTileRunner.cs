using SharpInfer.Platform.X64;
using SharpInfer.Backends.Cpu.Amx.Kernels;

namespace SharpInfer.Tests.Amx.Interpreter;

/// <summary>
/// Runs tile programs through <see cref="X64Interpreter"/>. Each thread has its own tile state that persists between
/// programs, as the hardware's does: a GEMM program run without the config its shape needs faults or computes the
/// wrong block, and <see cref="AnyThreadConfigured"/> shows a session that never released its tiles.
/// </summary>
internal sealed unsafe class InterpretedTileRunner(X64Abi abi) : ITileProgramRunner
{
    private readonly ThreadLocal<TileRegisters> _tiles = new(() => new TileRegisters(), trackAllValues: true);
    private int _calls;
    private long _tileInstructions;

    public X64Abi Abi { get; } = abi;
    /// <summary>Programs run (GEMM, config and release programs alike).</summary>
    public int Calls => _calls;
    public long TileInstructions => Interlocked.Read(ref _tileInstructions);

    /// <summary>Tile configs loaded, over all threads.</summary>
    public long ConfigLoads { get { long n = 0; foreach (var t in _tiles.Values) n += t.ConfigLoads; return n; } }

    /// <summary>Tile releases executed, over all threads.</summary>
    public long Releases { get { long n = 0; foreach (var t in _tiles.Values) n += t.Releases; return n; } }

    /// <summary>Whether some thread that ran programs still holds a tile config (a session not released).</summary>
    public bool AnyThreadConfigured { get { foreach (var t in _tiles.Values) if (t.IsConfigured) return true; return false; } }

    /// <summary>
    /// Buffers the programs may touch (besides their argument block); empty = unchecked.
    /// Register pinned arrays with <see cref="Allow"/>.
    /// </summary>
    public List<(ulong Start, ulong Length)> AllowedMemory { get; } = new();

    public void Allow(void* start, long length) => AllowedMemory.Add(((ulong)start, (ulong)length));

    public void Run(byte[] program, void* args)
    {
        var vm = new X64Interpreter(_tiles.Value);
        if (AllowedMemory.Count > 0)
        {
            vm.AllowedMemory.AddRange(AllowedMemory);
            if (args != null) vm.AllowedMemory.Add(((ulong)args, (ulong)sizeof(TileGemmArgs)));
        }
        vm.Call(program, Abi, (ulong)args);
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _tileInstructions, vm.TileInstructionsExecuted);
    }
}
