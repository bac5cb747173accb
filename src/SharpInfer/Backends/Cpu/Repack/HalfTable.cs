using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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

    /// <summary>Eight consecutive fp16 values as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(byte* p)
    {
        var h = (ushort*)p;
        var t = Table;
        return Vector256.Create(t[h[0]], t[h[1]], t[h[2]], t[h[3]], t[h[4]], t[h[5]], t[h[6]], t[h[7]]);
    }
}
