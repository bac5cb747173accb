namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Runs an emitted tile program on its argument block: natively (<see cref="NativeTileProgramRunner"/>)
/// or, in tests, through the managed interpreter on machines without AMX.
/// </summary>
internal unsafe interface ITileProgramRunner
{
    /// <summary>The convention programs must be emitted for.</summary>
    Platform.X64.X64Abi Abi { get; }

    void Run(byte[] program, void* args);
}
