using SharpInfer.Platform.X64;
namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Runs tile programs on the CPU. Refuses (with the detection's reason) unless AMX is available,
/// because the first tile instruction without OS permission kills the process with SIGILL.
/// Programs are copied into executable memory once and kept for the runner's lifetime.
/// </summary>
internal sealed unsafe class NativeTileProgramRunner : ITileProgramRunner, IDisposable
{
    // Read by every thread on every call: lock-free lookups, a lock only to map a new program once.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<byte[], ExecutableCode> _loaded = new(ReferenceEqualityComparer.Instance);
    private readonly List<ExecutableCode> _owned = new();

    public NativeTileProgramRunner()
    {
        var status = AmxSupport.Status;
        if (!status.IsAvailable) throw new InvalidOperationException(status.ToString());
    }

    public Platform.X64.X64Abi Abi => Platform.X64.X64Abi.Native;

    public void Run(byte[] program, void* args)
    {
        if (!_loaded.TryGetValue(program, out var code))
        {
            lock (_owned)
            {
                if (!_loaded.TryGetValue(program, out code))
                {
                    code = new ExecutableCode(program);
                    _owned.Add(code);
                    _loaded[program] = code;
                }
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
