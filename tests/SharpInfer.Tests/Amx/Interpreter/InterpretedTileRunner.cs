using SharpInfer.Platform.X64;
using SharpInfer.Backends.Cpu.Amx.Kernels;

namespace SharpInfer.Tests.Amx.Interpreter;

/// <summary>Runs tile programs through <see cref="X64Interpreter"/>; checks each leaves tiles released.</summary>
internal sealed unsafe class InterpretedTileRunner(X64Abi abi) : ITileProgramRunner
{
    public X64Abi Abi { get; } = abi;
    public int Calls { get; private set; }
    public long TileInstructions { get; private set; }

    /// <summary>
    /// Buffers the programs may touch (besides their argument block); empty = unchecked.
    /// Register pinned arrays with <see cref="Allow"/>.
    /// </summary>
    public List<(ulong Start, ulong Length)> AllowedMemory { get; } = new();

    public void Allow(void* start, long length) => AllowedMemory.Add(((ulong)start, (ulong)length));

    public void Run(byte[] program, void* args)
    {
        var vm = new X64Interpreter();
        if (AllowedMemory.Count > 0)
        {
            vm.AllowedMemory.AddRange(AllowedMemory);
            vm.AllowedMemory.Add(((ulong)args, (ulong)sizeof(TileGemmArgs)));
        }
        vm.Call(program, Abi, (ulong)args);
        if (vm.Tiles.IsConfigured) throw new InvalidOperationException("program returned with tiles still configured");
        Calls++;
        TileInstructions += vm.TileInstructionsExecuted;
    }
}
