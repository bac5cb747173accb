using System.Runtime.Intrinsics.X86;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels.Vnni;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// The AVX-512 paths around the AMX layout (the per-block scale step after the tile program, and the
/// one-row gemv) against their scalar twins on random data: the integer sums are exact and each lane
/// repeats the twin's float operations, so the bits must agree.
/// </summary>
public sealed unsafe class AmxVectorTwinTests(ITestOutputHelper output)
{
    private static void RequireAvx512()
    {
        if (!Avx512BW.IsSupported)
            throw new PlatformNotSupportedException("these twins compare AVX-512 paths, and this CPU has no AVX-512BW");
    }

    [Theory]
    [InlineData(false, 1, 16, 1)]
    [InlineData(false, 32, 32, 4)]
    [InlineData(false, 19, 32, 3)]
    [InlineData(true, 7, 16, 5)]
    [InlineData(true, 32, 32, 2)]
    public void BlockScales_Avx512EqualsScalar(bool mins, int rows, int cols, int kb)
    {
        RequireAvx512();
        var rng = new Random(rows * 131 + cols * 7 + kb + (mins ? 1000 : 0));
        const int tileBytes = 320, scalesOffset = 256, minsOffset = 288;
        int actBlockBytes = mins ? 36 : 34;
        long rowBytes = (long)kb * actBlockBytes, panelBytes = (long)kb * tileBytes;
        var act = RandomBytes(rng, (int)(rows * rowBytes));
        var panels = RandomBytes(rng, (int)(2 * panelBytes));
        // finite fp16 scales where the code reads them
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < kb; b++)
            {
                int at = (int)(r * rowBytes + b * actBlockBytes);
                WriteHalf(act, at, rng.NextDouble() * 0.05);
                WriteHalf(act, at + 2, rng.NextDouble() - 0.5);
            }
        for (int p = 0; p < 2; p++)
            for (int b = 0; b < kb; b++)
                for (int j = 0; j < 16; j++)
                {
                    int tile = (int)(p * panelBytes + b * tileBytes);
                    WriteHalf(panels, tile + scalesOffset + 2 * j, rng.NextDouble() * 0.05);
                    WriteHalf(panels, tile + minsOffset + 2 * j, -rng.NextDouble() * 0.4);
                }
        var sums = new int[kb * 1024];
        // small sums keep the mins term within reach of the last bits of C
        for (int i = 0; i < sums.Length; i++) sums[i] = i % 2 == 0 ? rng.Next(-2000, 2001) : rng.Next(-516129, 516130);
        int ldc = cols + 3;
        var vector = new float[rows * ldc];
        var scalar = new float[rows * ldc];
        Array.Fill(vector, float.NaN);
        Array.Fill(scalar, float.NaN);
        int minsAt = mins ? minsOffset : AmxBlockScales.NoMins;
        fixed (byte* a = act) fixed (byte* w = panels) fixed (int* s = sums)
        {
            AmxBlockScales.ApplyAvx512(a, rowBytes, actBlockBytes, w, panelBytes, tileBytes, scalesOffset, minsAt, s, kb, rows, cols, vector, ldc);
            AmxBlockScales.ApplyScalar(a, rowBytes, actBlockBytes, w, panelBytes, tileBytes, scalesOffset, minsAt, s, kb, rows, cols, scalar, ldc);
        }
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < ldc; j++)
                Assert.True(BitConverter.SingleToInt32Bits(scalar[i * ldc + j]) == BitConverter.SingleToInt32Bits(vector[i * ldc + j]),
                    $"({i},{j}): scalar {scalar[i * ldc + j]}, AVX-512 {vector[i * ldc + j]}");
    }

    [Theory]
    [InlineData(16, 32)]
    [InlineData(48, 256)]
    public void Q8_0Gemv_Avx512EqualsScalar(int n, int k)
    {
        RequireAvx512();
        var rng = new Random(n * 31 + k);
        var weights = Q8_0TileMatmulTests.RandomQ8_0Rows(rng, n, k);
        for (int i = 0; i < weights.Length; i += 34 * 7) weights[i + 2 + i % 32] = 0x80; // some −128 weights
        var packed = Q8_0AmxLayout.Pack(weights, n, k);
        var act = Q8_0TileMatmulTests.RandomQ8_0Rows(rng, 1, k);
        AssertTwins(n, (y, r0, r1) =>
        {
            fixed (byte* w = packed) fixed (byte* a = act) fixed (float* py = y) Q8_0AmxGemv.MultiplyAvx512(w, k, a, py, r0, r1);
        }, (y, r0, r1) =>
        {
            fixed (byte* w = packed) fixed (byte* a = act) fixed (float* py = y) Q8_0AmxGemv.MultiplyScalar(w, k, a, py, r0, r1);
        });
    }

    [Theory]
    [InlineData(16, 32)]
    [InlineData(48, 256)]
    [InlineData(64, 2048)]
    public void Q8_0Gemv_EmittedVnniEqualsScalar(int n, int k)
    {
        if (!AmxVnniGemv.IsAvailable)
        {
            output.WriteLine($"AVX512_VNNI kernels not available ({VnniTiles.UnavailableReason}): not run");
            Assert.False(Environment.GetEnvironmentVariable("SHARPINFER_REQUIRE_VNNI") == "1",
                "SHARPINFER_REQUIRE_VNNI=1 but the VNNI kernels are not available");
            return;
        }
        var rng = new Random(n * 13 + k);
        var weights = Q8_0TileMatmulTests.RandomQ8_0Rows(rng, n, k);
        for (int i = 0; i < weights.Length; i += 34 * 5) weights[i + 2 + i % 32] = 0x80; // some −128 weights
        var packed = Q8_0AmxLayout.Pack(weights, n, k);
        var act = Q8_0TileMatmulTests.RandomQ8_0Rows(rng, 1, k);
        act[2] = 0x80; // and an activation of −128 (a + 128 = 0)
        AssertTwins(n, (y, r0, r1) =>
        {
            fixed (byte* w = packed) fixed (byte* a = act) fixed (float* py = y) AmxVnniGemv.Multiply(GgmlType.Q8_0, w, k, a, py, r0, r1);
        }, (y, r0, r1) =>
        {
            fixed (byte* w = packed) fixed (byte* a = act) fixed (float* py = y) Q8_0AmxGemv.MultiplyScalar(w, k, a, py, r0, r1);
        });
    }

    [Theory]
    [InlineData(GgmlType.Q4_0, 16, 32)]
    [InlineData(GgmlType.Q4_0, 48, 256)]
    [InlineData(GgmlType.Q4_1, 16, 64)]
    [InlineData(GgmlType.Q4_1, 32, 256)]
    public void Q4Gemv_Avx512AndEmittedVnniEqualScalar(GgmlType type, int n, int k)
    {
        RequireAvx512();
        var rng = new Random(n * 17 + k + (int)type);
        byte[] packed, act;
        if (type == GgmlType.Q4_0)
        {
            packed = Q4_0AmxLayout.Pack(Q4_0TileMatmulTests.RandomQ4_0Rows(rng, n, k), n, k);
            act = Q8_0TileMatmulTests.RandomQ8_0Rows(rng, 1, k);
        }
        else
        {
            packed = Q4_1AmxLayout.Pack(Q4_1TileMatmulTests.RandomQ4_1Rows(rng, n, k), n, k);
            act = Q4_1TileMatmulTests.RandomQ8_1Rows(rng, 1, k);
        }
        AssertTwins(n, (y, r0, r1) =>
        {
            fixed (byte* w = packed) fixed (byte* a = act) fixed (float* py = y) Q4AmxGemv.MultiplyAvx512(type, w, k, a, py, r0, r1);
        }, (y, r0, r1) =>
        {
            fixed (byte* w = packed) fixed (byte* a = act) fixed (float* py = y) Q4AmxGemv.MultiplyScalar(type, w, k, a, py, r0, r1);
        });
        if (!AmxVnniGemv.IsAvailable)
        {
            output.WriteLine($"AVX512_VNNI kernels not available ({VnniTiles.UnavailableReason}): emitted gemv not run");
            Assert.False(Environment.GetEnvironmentVariable("SHARPINFER_REQUIRE_VNNI") == "1",
                "SHARPINFER_REQUIRE_VNNI=1 but the VNNI kernels are not available");
            return;
        }
        AssertTwins(n, (y, r0, r1) =>
        {
            fixed (byte* w = packed) fixed (byte* a = act) fixed (float* py = y) AmxVnniGemv.Multiply(type, w, k, a, py, r0, r1);
        }, (y, r0, r1) =>
        {
            fixed (byte* w = packed) fixed (byte* a = act) fixed (float* py = y) Q4AmxGemv.MultiplyScalar(type, w, k, a, py, r0, r1);
        });
    }

    [Theory]
    [InlineData(8)]
    [InlineData(0)]
    public void NibbleUnpack_VectorEqualsScalar(int offset)
    {
        RequireAvx512();
        var tile = RandomBytes(new Random(offset + 5), AmxNibbleTile.PackedBytes);
        var vector = new byte[AmxNibbleTile.UnpackedBytes];
        var scalar = new byte[AmxNibbleTile.UnpackedBytes];
        fixed (byte* t = tile) fixed (byte* v = vector) fixed (byte* s = scalar)
        {
            AmxNibbleTile.UnpackVector512(t, (sbyte*)v, offset);
            AmxNibbleTile.UnpackScalar(t, (sbyte*)s, offset);
        }
        Assert.Equal(scalar, vector);
        Assert.Contains(scalar, b => (sbyte)b == 7 - offset + 8); // a nibble 15 came through
    }

    /// <summary>The K-quant layouts' tile unpacking (file bits to the tile program's int8): vector = scalar, both extremes reached.</summary>
    [Theory]
    [InlineData("Q5_K", -16, 15)]
    [InlineData("Q6_K", -32, 31)]
    [InlineData("IQ4_XS", -127, 113)]
    public void KQuantUnpack_VectorEqualsScalar(string type, int lowest, int highest)
    {
        RequireAvx512();
        int tileBytes = type switch { "Q5_K" => Q5_KAmxLayout.TileBytes, "Q6_K" => Q6_KAmxLayout.TileBytes, _ => IQ4_XSAmxLayout.TileBytes };
        int unpackedBytes = type == "Q6_K" ? Q6_KAmxLayout.UnpackedTileBytes : AmxNibbleTile.UnpackedBytes;
        var tile = RandomBytes(new Random(tileBytes), tileBytes);
        var vector = new byte[unpackedBytes];
        var scalar = new byte[unpackedBytes];
        fixed (byte* t = tile) fixed (byte* v = vector) fixed (byte* s = scalar)
        {
            Unpack(type, vectorPath: true, t, (sbyte*)v);
            Unpack(type, vectorPath: false, t, (sbyte*)s);
        }
        Assert.Equal(scalar, vector);
        Assert.Contains(scalar, b => (sbyte)b == lowest);
        Assert.Contains(scalar, b => (sbyte)b == highest);
    }

    private static void Unpack(string type, bool vectorPath, byte* tile, sbyte* vnni)
    {
        switch (type)
        {
            case "Q5_K": if (vectorPath) Q5_KAmxLayout.UnpackVector512(tile, vnni); else Q5_KAmxLayout.UnpackScalar(tile, vnni); break;
            case "Q6_K": if (vectorPath) Q6_KAmxLayout.UnpackVector512(tile, vnni); else Q6_KAmxLayout.UnpackScalar(tile, vnni); break;
            default: if (vectorPath) IQ4_XSAmxLayout.UnpackVector512(tile, vnni); else IQ4_XSAmxLayout.UnpackScalar(tile, vnni); break;
        }
    }

    private static void AssertTwins(int n, Action<float[], int, int> vector, Action<float[], int, int> scalar)
    {
        var yv = new float[n];
        var ys = new float[n];
        Array.Fill(yv, float.NaN);
        Array.Fill(ys, float.NaN);
        // the whole matrix, and a range that starts past the first panel
        vector(yv, 0, n);
        scalar(ys, 0, n);
        for (int j = 0; j < n; j++)
            Assert.True(BitConverter.SingleToInt32Bits(ys[j]) == BitConverter.SingleToInt32Bits(yv[j]), $"row {j}: scalar {ys[j]}, AVX-512 {yv[j]}");
        Assert.Contains(ys, v => v != 0f);
        if (n > 16)
        {
            Array.Fill(yv, float.NaN);
            vector(yv, 16, n);
            for (int j = 0; j < n; j++)
                Assert.True(j < 16 ? float.IsNaN(yv[j]) : BitConverter.SingleToInt32Bits(ys[j]) == BitConverter.SingleToInt32Bits(yv[j]), $"row {j} of [16, {n})");
        }
    }

    private static byte[] RandomBytes(Random rng, int length)
    {
        var b = new byte[length];
        rng.NextBytes(b);
        return b;
    }

    private static void WriteHalf(byte[] data, int at, double value)
    {
        ushort h = BitConverter.HalfToUInt16Bits((Half)value);
        data[at] = (byte)h;
        data[at + 1] = (byte)(h >> 8);
    }
}
