using SharpInfer.Platform.X64;
namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Runs tile programs on the CPU. Refuses (with the detection's reason) unless AMX is available,
/// because the first tile instruction without OS permission kills the process with SIGILL.
/// Programs are copied into executable memory once and kept for the runner's lifetime.
/// </summary>
internal sealed unsafe class NativeTileProgramRunner : ITileProgramRunner, IDisposable
{
    private readonly Dictionary<byte[], ExecutableCode> _loaded = new(ReferenceEqualityComparer.Instance);
    private readonly List<ExecutableCode> _owned = new();

    public NativeTileProgramRunner()
    {
        var status = AmxSupport.Status;
        if (!status.IsAvailable) throw new InvalidOperationException(status.ToString());
    }

    public Platform.X64.X64Abi Abi => Platform.X64.X64Abi.Native;

    public void Run(byte[] program, void* args)
    {
        ExecutableCode? code;
        lock (_owned)
        {
            if (!_loaded.TryGetValue(program, out code))
            {
                code = new ExecutableCode(program);
                _owned.Add(code);
                _loaded.Add(program, code);
            }
        }
        ((delegate* unmanaged<void*, void>)code.Entry)(args);
    }

    public void Dispose()
    {
        lock (_owned)
        {
            foreach (var c in _owned) c.Dispose();
            _owned.Clear();
            _loaded.Clear();
        }
    }
}
