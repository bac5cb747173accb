namespace SharpInfer.Backends.Cpu.Repack;

/// <summary>
/// Reference kernels over one group of eight packed rows against one Q8_0 activation row. Per block
/// the integer dot product is exact; the float part is ggml's generic vec_dot arithmetic, in block
/// order: <c>sum += sumi * d_w * d_a</c> for Q4_0 and <c>sum += sumi * (d_w * d_a)</c> for Q8_0.
/// </summary>
internal static unsafe class RepackScalar
{
    public static void GroupQ4_0(byte* w, byte* a, int nb, float* out8)
    {
        float* acc = stackalloc float[RepackLayout.Rows];
        for (int r = 0; r < RepackLayout.Rows; r++) acc[r] = 0f;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 144;
            byte* ab = a + b * 34;
            float da = HalfTable.ToFloat(ab);
            sbyte* aq = (sbyte*)(ab + 2);
            for (int r = 0; r < RepackLayout.Rows; r++)
            {
                int sumi = 0;
                for (int half = 0; half < 2; half++)
                {
                    byte* ch = blk + 16 + (half * 8 + r) * 8;
                    for (int i = 0; i < 8; i++)
                    {
                        int p = ch[i];
                        int lo = (sbyte)(p << 4) >> 4;
                        int hi = (sbyte)p >> 4;
                        int j = half * 8 + i;
                        sumi += lo * aq[j] + hi * aq[j + 16];
                    }
                }
                float dw = HalfTable.ToFloat(blk + 2 * r);
                acc[r] += sumi * dw * da;
            }
        }
        for (int r = 0; r < RepackLayout.Rows; r++) out8[r] = acc[r];
    }

    public static void GroupQ8_0(byte* w, byte* a, int nb, float* out8)
    {
        float* acc = stackalloc float[RepackLayout.Rows];
        for (int r = 0; r < RepackLayout.Rows; r++) acc[r] = 0f;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 272;
            byte* ab = a + b * 34;
            float da = HalfTable.ToFloat(ab);
            sbyte* aq = (sbyte*)(ab + 2);
            for (int r = 0; r < RepackLayout.Rows; r++)
            {
                int sumi = 0;
                for (int k = 0; k < 4; k++)
                {
                    sbyte* ch = (sbyte*)(blk + 16 + (k * 8 + r) * 8);
                    for (int i = 0; i < 8; i++) sumi += ch[i] * aq[k * 8 + i];
                }
                float dw = HalfTable.ToFloat(blk + 2 * r);
                acc[r] += sumi * (dw * da); // vec_dot_q8_0_q8_0 multiplies the scales first
            }
        }
        for (int r = 0; r < RepackLayout.Rows; r++) out8[r] = acc[r];
    }
}
