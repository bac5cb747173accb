using System.Runtime.CompilerServices;

namespace SharpInfer.Backends.Cpu.Repack;

/// <summary>
/// fp16 → fp32 for every 16-bit pattern (ggml's ggml_table_f32_f16): a lookup gives exactly
/// <c>(float)(Half)bits</c> without the software conversion in the hot loop.
/// </summary>
internal static unsafe class HalfTable
{
    // The pinned array must stay referenced: a pinned-heap array with no reference is collected
    // like any other, and the pointer then reads freed (zeroed or reused) memory.
    private static readonly float[] Values = Build();
    private static readonly float* Table = (float*)Unsafe.AsPointer(ref Values[0]);

    private static float[] Build()
    {
        var table = GC.AllocateArray<float>(65536, pinned: true);
        for (int i = 0; i < table.Length; i++) table[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return table;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(byte* p) => Table[*(ushort*)p];
}
