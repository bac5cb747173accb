namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// One thread's tile programs over its share of a matmul: the tile config is loaded before the first block and
/// again only when a block needs another geometry (edge blocks), and released when the session is disposed
/// (also on an exception). ggml loads its config once per thread; loading it per 32 × 32 block, as our programs
/// did, costs an ldtilecfg and a tilerelease per block.
/// </summary>
internal unsafe ref struct TileSession(ITileProgramRunner runner, TileProgramCache programs)
{
    private byte[]? _configured;

    public void Run(TileGemmShape shape, TileGemmArgs* args)
    {
        var configure = programs.ConfigureFor(shape);
        if (!ReferenceEquals(configure, _configured))
        {
            runner.Run(configure, null);
            _configured = configure;
        }
        runner.Run(programs.For(shape), args);
    }

    public void Dispose()
    {
        if (_configured is null) return;
        _configured = null;
        runner.Run(programs.Release, null);
    }
}
