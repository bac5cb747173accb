namespace SharpInfer.Tests.Amx.Interpreter;

/// <summary>
/// AMX architectural tile state (palette 1: eight tiles of 16 rows × 64 bytes) with the Intel SDM
/// semantics of the instructions the kernels use. Every condition that faults on hardware
/// (#GP/#UD) throws <see cref="TileFaultException"/> here, so a kernel that passes the interpreter
/// also passes the hardware's checks.
/// </summary>
internal sealed class TileRegisters
{
    public const int MaxRows = 16, MaxColsb = 64, TileBytes = MaxRows * MaxColsb;

    private readonly byte[][] _data = Enumerable.Range(0, 8).Select(_ => new byte[TileBytes]).ToArray();
    private readonly int[] _rows = new int[8];
    private readonly int[] _colsb = new int[8];

    public bool IsConfigured { get; private set; }
    /// <summary>LDTILECFG with palette 1 executed so far.</summary>
    public long ConfigLoads { get; private set; }
    /// <summary>TILERELEASE (or LDTILECFG palette 0) executed so far.</summary>
    public long Releases { get; private set; }
    public int Rows(int t) => _rows[t];
    public int Colsb(int t) => _colsb[t];
    public Span<byte> Data(int t) => _data[t];

    /// <summary>LDTILECFG: palette 0 releases, palette 1 configures and zeroes all tiles.</summary>
    public void LoadConfig(ReadOnlySpan<byte> cfg)
    {
        byte palette = cfg[0];
        if (palette == 0) { Release(); return; }
        if (palette != 1) throw new TileFaultException($"ldtilecfg: palette {palette} not supported (#GP)");
        if (cfg[1] != 0) throw new TileFaultException("ldtilecfg: start_row must be 0 for a fresh config");
        for (int i = 2; i < 16; i++)
            if (cfg[i] != 0) throw new TileFaultException("ldtilecfg: reserved bytes must be zero (#GP)");
        for (int t = 0; t < 16; t++)
        {
            int colsb = cfg[16 + 2 * t] | (cfg[17 + 2 * t] << 8);
            int rows = cfg[48 + t];
            if (t >= 8)
            {
                if (colsb != 0 || rows != 0) throw new TileFaultException($"ldtilecfg: tile {t} does not exist in palette 1 (#GP)");
                continue;
            }
            if (rows > MaxRows || colsb > MaxColsb) throw new TileFaultException($"ldtilecfg: tile {t} is {rows}×{colsb}B (#GP)");
            if ((rows == 0) != (colsb == 0)) throw new TileFaultException($"ldtilecfg: tile {t} has rows xor colsb zero (#GP)");
            _rows[t] = rows;
            _colsb[t] = colsb;
        }
        foreach (var d in _data) Array.Clear(d);
        IsConfigured = true;
        ConfigLoads++;
    }

    /// <summary>STTILECFG: 64 bytes, all zero when unconfigured.</summary>
    public void StoreConfig(Span<byte> cfg)
    {
        cfg[..64].Clear();
        if (!IsConfigured) return;
        cfg[0] = 1;
        for (int t = 0; t < 8; t++)
        {
            cfg[16 + 2 * t] = (byte)_colsb[t];
            cfg[17 + 2 * t] = (byte)(_colsb[t] >> 8);
            cfg[48 + t] = (byte)_rows[t];
        }
    }

    public void Release()
    {
        Releases++;
        IsConfigured = false;
        Array.Clear(_rows);
        Array.Clear(_colsb);
        foreach (var d in _data) Array.Clear(d);
    }

    public void Zero(int t)
    {
        RequireValid(t, "tilezero");
        Array.Clear(_data[t]);
    }

    /// <summary>TILELOADD: row r from start + r·stride; bytes past colsb and rows past rows are zeroed.</summary>
    public unsafe void Load(int t, byte* start, long stride)
    {
        RequireValid(t, "tileloadd");
        var d = _data[t];
        Array.Clear(d);
        for (int r = 0; r < _rows[t]; r++)
            new ReadOnlySpan<byte>(start + r * stride, _colsb[t]).CopyTo(d.AsSpan(r * MaxColsb));
    }

    /// <summary>TILESTORED: writes exactly rows × colsb bytes.</summary>
    public unsafe void Store(int t, byte* start, long stride)
    {
        RequireValid(t, "tilestored");
        var d = _data[t];
        for (int r = 0; r < _rows[t]; r++)
            d.AsSpan(r * MaxColsb, _colsb[t]).CopyTo(new Span<byte>(start + r * stride, _colsb[t]));
    }

    /// <summary>TDPB[SU][SU]D: c[m].dword[n] += Σ_k Σ_i a[m].byte[4k+i] · b[k].byte[4n+i], 32-bit wrap-around.</summary>
    public void DotInt8(int c, int a, int b, bool aSigned, bool bSigned, string name)
    {
        CheckDotShapes(c, a, b, name);
        int rows = _rows[c], n4 = _colsb[c] / 4, k4 = _colsb[a] / 4;
        var dc = _data[c]; var da = _data[a]; var db = _data[b];
        for (int m = 0; m < rows; m++)
        {
            for (int n = 0; n < n4; n++)
            {
                int acc = ReadInt32(dc, m * MaxColsb + 4 * n);
                for (int k = 0; k < k4; k++)
                {
                    int dot = 0;
                    for (int i = 0; i < 4; i++)
                    {
                        int x = aSigned ? (sbyte)da[m * MaxColsb + 4 * k + i] : da[m * MaxColsb + 4 * k + i];
                        int y = bSigned ? (sbyte)db[k * MaxColsb + 4 * n + i] : db[k * MaxColsb + 4 * n + i];
                        dot += x * y;
                    }
                    acc = unchecked(acc + dot);
                }
                WriteInt32(dc, m * MaxColsb + 4 * n, acc);
            }
            dc.AsSpan(m * MaxColsb + _colsb[c], MaxColsb - _colsb[c]).Clear();
        }
        dc.AsSpan(rows * MaxColsb).Clear();
    }

    /// <summary>
    /// TDPBF16PS per the SDM pseudocode: for each k pair, c += a0·b0 then c += a1·b1 in FP32 with
    /// round-to-nearest-even; denormal inputs read as zero and denormal results flush to zero,
    /// regardless of MXCSR.
    /// </summary>
    public void DotBf16(int c, int a, int b)
    {
        CheckDotShapes(c, a, b, "tdpbf16ps");
        int rows = _rows[c], n4 = _colsb[c] / 4, k4 = _colsb[a] / 4;
        var dc = _data[c]; var da = _data[a]; var db = _data[b];
        for (int m = 0; m < rows; m++)
        {
            for (int n = 0; n < n4; n++)
            {
                float acc = Daz(BitConverter.Int32BitsToSingle(ReadInt32(dc, m * MaxColsb + 4 * n)));
                for (int k = 0; k < k4; k++)
                {
                    for (int i = 0; i < 2; i++)
                    {
                        float x = Bf16(da, m * MaxColsb + 4 * k + 2 * i);
                        float y = Bf16(db, k * MaxColsb + 4 * n + 2 * i);
                        acc = Ftz(acc + x * y);
                    }
                }
                WriteInt32(dc, m * MaxColsb + 4 * n, BitConverter.SingleToInt32Bits(acc));
            }
            dc.AsSpan(m * MaxColsb + _colsb[c], MaxColsb - _colsb[c]).Clear();
        }
        dc.AsSpan(rows * MaxColsb).Clear();
    }

    private static float Bf16(byte[] d, int at) => Daz(BitConverter.Int32BitsToSingle((d[at] | (d[at + 1] << 8)) << 16));
    private static float Daz(float x) => float.IsSubnormal(x) ? (x < 0 ? -0f : 0f) : x;
    private static float Ftz(float x) => Daz(x);

    private void CheckDotShapes(int c, int a, int b, string name)
    {
        if (c == a || c == b || a == b) throw new TileFaultException($"{name}: tiles must differ (#UD)");
        RequireValid(c, name); RequireValid(a, name); RequireValid(b, name);
        if (_colsb[a] / 4 != _rows[b]) throw new TileFaultException($"{name}: A.colsb/4 = {_colsb[a] / 4} but B.rows = {_rows[b]} (#UD)");
        if (_colsb[c] != _colsb[b]) throw new TileFaultException($"{name}: C.colsb {_colsb[c]} ≠ B.colsb {_colsb[b]} (#UD)");
        if (_rows[c] != _rows[a]) throw new TileFaultException($"{name}: C.rows {_rows[c]} ≠ A.rows {_rows[a]} (#UD)");
        if (_colsb[a] % 4 != 0 || _colsb[c] % 4 != 0) throw new TileFaultException($"{name}: colsb must be a multiple of 4 (#UD)");
    }

    private void RequireValid(int t, string name)
    {
        if (!IsConfigured) throw new TileFaultException($"{name}: tiles are not configured (#UD)");
        if (_rows[t] == 0) throw new TileFaultException($"{name}: tmm{t} is not configured (#UD)");
    }

    private static int ReadInt32(byte[] d, int at) => d[at] | (d[at + 1] << 8) | (d[at + 2] << 16) | (d[at + 3] << 24);

    private static void WriteInt32(byte[] d, int at, int v)
    {
        d[at] = (byte)v; d[at + 1] = (byte)(v >> 8); d[at + 2] = (byte)(v >> 16); d[at + 3] = (byte)(v >> 24);
    }
}

/// <summary>What the hardware would answer with #GP or #UD.</summary>
internal sealed class TileFaultException(string message) : Exception(message);
