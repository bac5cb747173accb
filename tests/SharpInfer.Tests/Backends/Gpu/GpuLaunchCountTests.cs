using SharpInfer.Backends.Gpu;
using SharpInfer.Inference;
using SharpInfer.Models;
using SharpInfer.Tests.Support;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Backends.Gpu;

/// <summary>
/// The shape of the offloaded forward pass, counted: kernel launches per decoded token stay a fixed
/// number per layer (no launch per head, position or token), whatever the batch or the position.
/// </summary>
public sealed class GpuLaunchCountTests(ITestOutputHelper output)
{
    // A stand-in of its own (one device, groups of 8 as on a GPU): the counter is the device's, and other
    // tests decode on the shared stand-ins in parallel.
    private static readonly GpuBackendChoice Private = GpuBackendChoice.IlgpuCpu(1) with { StandInGroup = 8 };

    [Fact]
    public void LaunchesPerToken_AreAFewPerLayer_IndependentOfPosition()
    {
        var path = TestPaths.Require(TestPaths.Stories260K);
        using var m = Model.Load(path, new ModelParams { NGpuLayers = 99, GpuBackend = Private });
        var device = m.Gpu!.Layers[0].Home;
        Assert.All(m.Gpu.Layers, l => Assert.Same(device, l.Home));
        Assert.Same(device, m.Gpu.Output!.Home);
        int nLayer = m.Hyperparameters.BlockCount;
        using var ctx = m.CreateContext(new ContextParams { ContextLength = 64, Threads = 1 });

        long before = device.Kernels.Launches;
        ctx.Decode([1, 400, 300, 200, 100, 50, 60, 70]);
        long prompt = device.Kernels.Launches - before;
        var perToken = new long[3];
        for (int i = 0; i < perToken.Length; i++)
        {
            before = device.Kernels.Launches;
            ctx.Decode([100 + i]);
            perToken[i] = device.Kernels.Launches - before;
        }
        output.WriteLine($"{nLayer} layers: 8-token prompt {prompt} launches, then {string.Join(", ", perToken)} per token");

        // stories260K is F32 (no activation rounding). Per layer: attention norm (with the previous
        // layer's residual add), Q, K, V, RoPE of Q and K (one launch), K and V cache stores (one),
        // attention, Wo, residual add with the FFN norm (one), gate, up, SwiGLU, down = 13; the last
        // layer's residual add; the output layer: norm and product.
        // One token: Q, K, V in one launch and gate, up in one (KernelSet.MatMulShared): 10 per layer.
        Assert.Equal(13 * nLayer + 3, prompt);
        Assert.All(perToken, c => Assert.Equal(10 * nLayer + 3, c));
    }
}
