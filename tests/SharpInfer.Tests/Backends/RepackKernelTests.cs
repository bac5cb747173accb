using System.Runtime.InteropServices;
using SharpInfer.Backends.Cpu.Repack;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;

namespace SharpInfer.Tests.Backends;

/// <summary>
/// CPU_REPACK layout and kernels against ggml: the packed bytes follow make_block_q4_0x8, and every
/// output equals ggml's generic row-by-row vec_dot (written out here from ggml-cpu/quants.c) bit for bit.
/// </summary>
public unsafe class RepackKernelTests
{
    private static byte[] RandomMatrix(GgmlType type, int rows, int cols, Random rng)
    {
        var info = GgmlTypeInfo.Get(type);
        var bytes = new byte[info.RowBytes(cols) * rows];
        rng.NextBytes(bytes);
        for (int b = 0; b < bytes.Length / info.BytesPerBlock; b++)
        {
            var d = (Half)((float)(rng.NextDouble() * 0.02 + 0.0005) * (rng.Next(2) == 0 ? 1 : -1));
            MemoryMarshal.Write(bytes.AsSpan(b * info.BytesPerBlock), in d);
        }
        return bytes;
    }

    private static byte[] RandomActivations(int count, int cols, Random rng)
    {
        var q = new byte[count * RepackMatMul.ActivationRowBytes(cols)];
        var x = new float[cols];
        for (int t = 0; t < count; t++)
        {
            for (int i = 0; i < cols; i++) x[i] = (float)(rng.NextDouble() * 4 - 2) * (i % 7 == 0 ? 10 : 1);
            ActivationQuantizer.QuantizeQ8_0(x, q.AsSpan(t * RepackMatMul.ActivationRowBytes(cols)));
        }
        return q;
    }

    private static float[] Run(GgmlType type, byte[] packed, int rows, int cols, byte[] act, int count, RepackKernelPath path)
    {
        var output = new float[rows * count];
        fixed (byte* w = packed)
        fixed (byte* a = act)
        fixed (float* o = output)
        {
            if (count == 1) RepackMatMul.Gemv(type, w, rows, cols, a, o, path);
            else RepackMatMul.Gemm(type, w, rows, cols, a, count, o, path);
        }
        return output;
    }

    private static byte[] Pack(GgmlType type, byte[] file, int rows, int cols)
    {
        var packed = new byte[file.Length];
        RepackLayout.Pack(type, file, packed, cols, rows);
        return packed;
    }

    public static IEnumerable<object[]> Cases()
    {
        foreach (var type in new[] { GgmlType.Q4_0, GgmlType.Q8_0 })
        foreach (var (rows, cols) in new[] { (8, 32), (16, 64), (64, 256), (24, 2048) })
            yield return [type, rows, cols];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scalar_EqualsGgmlRowByRowDotProduct_BitForBit(GgmlType type, int rows, int cols)
    {
        var rng = new Random(rows * 7919 + cols);
        var file = RandomMatrix(type, rows, cols, rng);
        var act = RandomActivations(3, cols, rng);
        var output = Run(type, Pack(type, file, rows, cols), rows, cols, act, 3, RepackKernelPath.Scalar);
        int rowBytes = (int)GgmlTypeInfo.Get(type).RowBytes(cols), actBytes = RepackMatMul.ActivationRowBytes(cols);
        for (int t = 0; t < 3; t++)
        for (int r = 0; r < rows; r++)
        {
            float expected = GgmlReferenceDot.Dot(type, file.AsSpan(r * rowBytes, rowBytes), act.AsSpan(t * actBytes, actBytes), cols);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(output[t * rows + r]),
                $"{type} row {r} act {t}: {output[t * rows + r]} vs ggml {expected}");
        }
    }

    public static IEnumerable<object[]> VectorPaths()
    {
        foreach (var path in new[] { RepackKernelPath.Avx2, RepackKernelPath.Avx512 })
        foreach (var type in new[] { GgmlType.Q4_0, GgmlType.Q8_0 })
            yield return [path, type];
    }

    [Theory]
    [MemberData(nameof(VectorPaths))]
    public void VectorPath_AgreesWithScalarTwin_OnRandomData(RepackKernelPath path, GgmlType type)
    {
        // a vector path this CPU lacks is reported, not skipped silently
        Assert.True(RepackKernelPaths.IsSupported(path) || path == RepackKernelPath.Avx512,
            $"{path} unsupported on this CPU (AVX2 is the baseline the suite expects)");
        if (!RepackKernelPaths.IsSupported(path)) return;

        var rng = new Random((int)type * 31 + (int)path);
        for (int trial = 0; trial < 20; trial++)
        {
            int rows = 8 * rng.Next(1, 9), cols = 32 * rng.Next(1, 40), count = rng.Next(1, 10); // tiles of 4 and remainders
            var file = RandomMatrix(type, rows, cols, rng);
            if (trial == 0 && type == GgmlType.Q8_0) Array.Fill(file, (byte)0x80); // q = -128 everywhere, d = -0
            var packed = Pack(type, file, rows, cols);
            var act = RandomActivations(count, cols, rng);
            var scalar = Run(type, packed, rows, cols, act, count, RepackKernelPath.Scalar);
            var vector = Run(type, packed, rows, cols, act, count, path);
            for (int i = 0; i < scalar.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(scalar[i]) == BitConverter.SingleToInt32Bits(vector[i]),
                    $"{path} {type} [{cols}x{rows}] x{count} at {i}: {vector[i]} vs scalar {scalar[i]}");
        }
    }

    [Fact]
    public void ExtremeQuants_StayExactOnEveryPath()
    {
        // weights at the ends of their ranges and activations at ±127 stress the 16-bit intermediate sums
        foreach (var type in new[] { GgmlType.Q4_0, GgmlType.Q8_0 })
        {
            int rows = 8, cols = 64;
            var file = RandomMatrix(type, rows, cols, new Random(5));
            int bb = GgmlTypeInfo.Get(type).BytesPerBlock;
            for (int b = 0; b < file.Length / bb; b++)
                for (int j = 2; j < bb; j++) file[b * bb + j] = type == GgmlType.Q4_0 ? (b % 2 == 0 ? (byte)0x00 : (byte)0xFF) : (b % 2 == 0 ? (byte)0x80 : (byte)0x7F);
            var act = RandomActivations(1, cols, new Random(6));
            for (int b = 0; b < cols / 32; b++)
                for (int j = 0; j < 32; j++) act[b * 34 + 2 + j] = (byte)(sbyte)(j % 2 == 0 ? 127 : -127);
            var packed = Pack(type, file, rows, cols);
            var scalar = Run(type, packed, rows, cols, act, 1, RepackKernelPath.Scalar);
            int rowBytes = (int)GgmlTypeInfo.Get(type).RowBytes(cols);
            for (int r = 0; r < rows; r++)
                Assert.Equal(GgmlReferenceDot.Dot(type, file.AsSpan(r * rowBytes, rowBytes), act, cols), scalar[r]);
            foreach (var path in new[] { RepackKernelPath.Avx2, RepackKernelPath.Avx512 })
                if (RepackKernelPaths.IsSupported(path))
                    Assert.Equal(scalar, Run(type, packed, rows, cols, act, 1, path));
        }
    }

    [Fact]
    public void Gemm_EqualsOneGemvPerActivationRow()
    {
        var rng = new Random(11);
        int rows = 32, cols = 512, count = 5;
        var file = RandomMatrix(GgmlType.Q4_0, rows, cols, rng);
        var packed = Pack(GgmlType.Q4_0, file, rows, cols);
        var act = RandomActivations(count, cols, rng);
        var all = Run(GgmlType.Q4_0, packed, rows, cols, act, count, RepackMatMul.DefaultPath);
        int actBytes = RepackMatMul.ActivationRowBytes(cols);
        for (int t = 0; t < count; t++)
        {
            var one = Run(GgmlType.Q4_0, packed, rows, cols, act.AsSpan(t * actBytes, actBytes).ToArray(), 1, RepackMatMul.DefaultPath);
            Assert.Equal(one, all.AsSpan(t * rows, rows).ToArray());
        }
    }

    [Fact]
    public void Q4_0Layout_IsGgmlBlockQ4_0x8()
    {
        // ggml make_block_q4_0x8 with blck_size_interleave 8: d[i] = in[i].d; chunk c of 8 bytes comes
        // from block c % 8 at offset (c / 8) * 8, XOR 0x88
        int rows = 16, cols = 64;
        var file = RandomMatrix(GgmlType.Q4_0, rows, cols, new Random(3));
        var packed = Pack(GgmlType.Q4_0, file, rows, cols);
        const int nb = 2;
        for (int g = 0; g < rows / 8; g++)
        for (int b = 0; b < nb; b++)
        {
            int outBlock = (g * nb + b) * 144;
            for (int i = 0; i < 8; i++)
            {
                int inBlock = ((g * 8 + i) * nb + b) * 18;
                Assert.Equal(file.AsSpan(inBlock, 2).ToArray(), packed.AsSpan(outBlock + 2 * i, 2).ToArray());
            }
            for (int c = 0; c < 16; c++)
            for (int k = 0; k < 8; k++)
            {
                int inBlock = ((g * 8 + c % 8) * nb + b) * 18;
                Assert.Equal((byte)(file[inBlock + 2 + (c / 8) * 8 + k] ^ 0x88), packed[outBlock + 16 + c * 8 + k]);
            }
        }
    }

    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q8_0)]
    public void PackThenUnpack_GivesTheFileBytesBack(GgmlType type)
    {
        int rows = 24, cols = 96;
        var file = RandomMatrix(type, rows, cols, new Random(9));
        var packed = Pack(type, file, rows, cols);
        Assert.NotEqual(file, packed);
        var back = new byte[file.Length];
        RepackLayout.Unpack(type, packed, back, cols, rows);
        Assert.Equal(file, back);
    }

    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q8_0)]
    public void RepackedProduct_EqualsThePlainForwardPassDot(GgmlType type)
    {
        // the forward pass's own row dot (Numerics/Kernels/LegacyDots): switching a weight to CPU_REPACK changes no bit
        int rows = 40, cols = 320;
        var rng = new Random(21);
        var file = RandomMatrix(type, rows, cols, rng);
        var act = RandomActivations(2, cols, rng);
        var y = Run(type, Pack(type, file, rows, cols), rows, cols, act, 2, RepackMatMul.DefaultPath);
        int rowBytes = (int)GgmlTypeInfo.Get(type).RowBytes(cols), actBytes = RepackMatMul.ActivationRowBytes(cols);
        for (int t = 0; t < 2; t++)
        for (int r = 0; r < rows; r++)
        {
            var w = file.AsSpan(r * rowBytes, rowBytes);
            var a = act.AsSpan(t * actBytes, actBytes);
            float plain = type == GgmlType.Q4_0 ? LegacyDots.Q4_0(w, a, cols) : LegacyDots.Q8_0(w, a, cols);
            Assert.Equal(BitConverter.SingleToInt32Bits(plain), BitConverter.SingleToInt32Bits(y[t * rows + r]));
        }
    }
}

public unsafe class RepackThreadSplitTests
{
    [Fact]
    public void GroupRanges_TileTheWholeProduct()
    {
        int rows = 48, cols = 128, count = 3;
        var file = new byte[SharpInfer.Numerics.GgmlTypeInfo.Get(SharpInfer.Numerics.GgmlType.Q8_0).RowBytes(cols) * rows];
        new Random(4).NextBytes(file);
        for (int b = 0; b < file.Length / 34; b++) { file[b * 34] = 0x00; file[b * 34 + 1] = 0x20; } // d = 2^-7
        var packed = new byte[file.Length];
        SharpInfer.Backends.Cpu.Repack.RepackLayout.Pack(SharpInfer.Numerics.GgmlType.Q8_0, file, packed, cols, rows);
        var act = new byte[count * SharpInfer.Backends.Cpu.Repack.RepackMatMul.ActivationRowBytes(cols)];
        new Random(5).NextBytes(act);
        for (int i = 0; i < act.Length; i++) if (act[i] == 0x80) act[i] = 0x81; // quants stay in [-127, 127]
        for (int b = 0; b < act.Length / 34; b++) { act[b * 34] = 0x00; act[b * 34 + 1] = 0x24; }
        var whole = new float[rows * count];
        var parts = new float[rows * count];
        fixed (byte* w = packed) fixed (byte* a = act) fixed (float* y = whole) fixed (float* z = parts)
        {
            var path = SharpInfer.Backends.Cpu.Repack.RepackMatMul.DefaultPath;
            SharpInfer.Backends.Cpu.Repack.RepackMatMul.Gemm(SharpInfer.Numerics.GgmlType.Q8_0, w, rows, cols, a, count, y, path);
            SharpInfer.Backends.Cpu.Repack.RepackMatMul.GemmGroups(SharpInfer.Numerics.GgmlType.Q8_0, w, rows, cols, a, count, z, 0, 2, path);
            SharpInfer.Backends.Cpu.Repack.RepackMatMul.GemmGroups(SharpInfer.Numerics.GgmlType.Q8_0, w, rows, cols, a, count, z, 2, 4, path);
        }
        Assert.Equal(whole, parts);
        Assert.Contains(whole, v => v != 0);
    }
}
