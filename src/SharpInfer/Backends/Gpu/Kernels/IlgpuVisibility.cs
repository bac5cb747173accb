using System.Runtime.CompilerServices;

// ILGPU's CPU accelerator emits a dynamic assembly named ILGPURuntime that calls the (internal)
// kernels and their argument structs.
[assembly: InternalsVisibleTo("ILGPURuntime")]
