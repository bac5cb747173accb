using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using SharpInfer.Backends.Gpu.Kernels;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Backends.Gpu;

/// <summary>
/// Every kernel compiles to PTX (sm_90, as on an H200) through ILGPU's IR, without a GPU. ILGPU's CPU
/// accelerator runs the kernels' .NET code directly, so the other tests on the stand-ins cannot see a
/// construct the IR compiler rejects; this one does.
/// </summary>
public sealed class GpuPtxCompileTests(ITestOutputHelper output)
{
    [Fact]
    public void EveryKernel_CompilesToPtx()
    {
        using var context = Context.Create(b => b.Optimize(OptimizationLevel.O1));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, null!); // no NVVM: ILGPU's own PTX generator
        int count = 0;
        foreach (var m in typeof(GpuKernels).GetMethods(BindingFlags.Public | BindingFlags.Static))
        {
            if (m.ReturnType != typeof(void)) continue;
            var parameters = m.GetParameters();
            bool implicitlyGrouped = parameters.Length > 0 && parameters[0].ParameterType == typeof(Index1D);
            var entry = implicitlyGrouped
                ? EntryPointDescription.FromImplicitlyGroupedKernel(m)
                : EntryPointDescription.FromExplicitlyGroupedKernel(m);
            var kernel = (PTXCompiledKernel)backend.Compile(entry, default(KernelSpecialization));
            Assert.Contains(".entry", kernel.PTXAssembly.ToString());
            output.WriteLine($"{m.Name}: {kernel.PTXAssembly.ToString().Length} characters of PTX");
            count++;
        }
        Assert.True(count >= 20, $"{count} kernels found");
    }
}
