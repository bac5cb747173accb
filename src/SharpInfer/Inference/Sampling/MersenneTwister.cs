namespace SharpInfer.Inference.Sampling;

/// <summary>
/// The 32-bit Mersenne Twister (std::mt19937), the generator llama.cpp seeds with <c>--seed</c>:
/// a fixed, documented sequence, so a seed means the same draws on every platform and version.
/// </summary>
public sealed class MersenneTwister
{
    private const int N = 624, M = 397;
    private readonly uint[] _mt = new uint[N];
    private int _index;

    public MersenneTwister(uint seed)
    {
        _mt[0] = seed;
        for (var i = 1; i < N; i++) _mt[i] = 1812433253u * (_mt[i - 1] ^ (_mt[i - 1] >> 30)) + (uint)i;
        _index = N;
    }

    public uint NextUInt32()
    {
        if (_index >= N) Twist();
        var y = _mt[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C5680u;
        y ^= (y << 15) & 0xEFC60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>A double in [0, 1) from two draws, as std::generate_canonical&lt;double, 53&gt; with mt19937.</summary>
    public double NextDouble()
    {
        double low = NextUInt32();
        double high = NextUInt32();
        var r = (low + high * 4294967296.0) / 18446744073709551616.0;
        return r >= 1.0 ? Math.BitDecrement(1.0) : r;
    }

    private void Twist()
    {
        for (var i = 0; i < N; i++)
        {
            var y = (_mt[i] & 0x80000000u) | (_mt[(i + 1) % N] & 0x7FFFFFFFu);
            var next = _mt[(i + M) % N] ^ (y >> 1);
            if ((y & 1) != 0) next ^= 0x9908B0DFu;
            _mt[i] = next;
        }
        _index = 0;
    }
}
