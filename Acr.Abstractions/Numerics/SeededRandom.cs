namespace Acr.Numerics;

/// <summary>
/// A small, fast, fully specified pseudo-random generator (xoshiro256** seeded through SplitMix64),
/// so that a seed gives the same numbers on every platform and .NET version — unlike
/// <see cref="System.Random"/>, whose seeded algorithm is an implementation detail.
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareNormal;

    /// <summary>Creates a generator from a 64-bit seed.</summary>
    /// <param name="seed">Any value; equal seeds give equal streams.</param>
    public SeededRandom(ulong seed)
    {
        var sm = seed;
        _s0 = SplitMix(ref sm);
        _s1 = SplitMix(ref sm);
        _s2 = SplitMix(ref sm);
        _s3 = SplitMix(ref sm);
    }

    /// <summary>Derives an independent generator for a named purpose, so adding a consumer elsewhere does not shift this stream.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="stream">A fixed stream number per purpose.</param>
    public static SeededRandom ForStream(ulong seed, ulong stream) => new(seed ^ (0x9E3779B97F4A7C15UL * (stream + 1)));

    /// <summary>
    /// The generator's complete state: the four xoshiro256** words and the cached second normal deviate of
    /// <see cref="NextNormal"/>, if any. A generator restored from it (<see cref="FromState"/>) continues with exactly the
    /// numbers this one would give next — what a training checkpoint needs to resume bit for bit.
    /// </summary>
    public SeededRandomState State => new(_s0, _s1, _s2, _s3, _spareNormal);

    /// <summary>A generator that continues from <paramref name="state"/> (see <see cref="State"/>).</summary>
    /// <param name="state">A state read from <see cref="State"/>.</param>
    /// <exception cref="ArgumentException">All four words are zero (xoshiro256** would return zeros forever), or the cached deviate is not finite.</exception>
    public static SeededRandom FromState(SeededRandomState state)
    {
        if ((state.S0 | state.S1 | state.S2 | state.S3) == 0)
        {
            throw new ArgumentException("A xoshiro256** state of four zero words is invalid (the generator would return zeros forever); the saved state is corrupted.", nameof(state));
        }

        if (state.SpareNormal is { } spare && !double.IsFinite(spare))
        {
            throw new ArgumentException($"The cached normal deviate {spare} is not finite; the saved state is corrupted.", nameof(state));
        }

        var random = new SeededRandom(0)
        {
            _s0 = state.S0,
            _s1 = state.S1,
            _s2 = state.S2,
            _s3 = state.S3,
            _spareNormal = state.SpareNormal,
        };
        return random;
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A double uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>An integer uniform in [0, <paramref name="exclusiveMax"/>) without modulo bias (Lemire's method).</summary>
    /// <param name="exclusiveMax">Upper bound, ≥ 1.</param>
    public int NextInt(int exclusiveMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(exclusiveMax);
        var range = (ulong)exclusiveMax;
        var m = Math.BigMul(NextUInt64(), range, out var low);
        if (low < range)
        {
            var threshold = (0UL - range) % range;
            while (low < threshold)
            {
                m = Math.BigMul(NextUInt64(), range, out low);
            }
        }

        return (int)m;
    }

    /// <summary>A float uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    /// <param name="low">Inclusive lower bound.</param>
    /// <param name="high">Exclusive upper bound.</param>
    public float NextUniform(float low, float high)
    {
        var value = (float)(low + ((high - low) * NextDouble()));
        return value < high || !(high > low) ? value : MathF.BitDecrement(high); // rounding to float can reach high
    }

    /// <summary>A standard normal sample (Box–Muller, both values used).</summary>
    public double NextNormal()
    {
        if (_spareNormal is { } spare)
        {
            _spareNormal = null;
            return spare;
        }

        double u1;
        do
        {
            u1 = NextDouble();
        }
        while (u1 <= double.Epsilon);
        var u2 = NextDouble();
        var r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = r * Math.Sin(2.0 * Math.PI * u2);
        return r * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="items">The items.</param>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong SplitMix(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}

/// <summary>The complete state of a <see cref="SeededRandom"/> (see <see cref="SeededRandom.State"/>).</summary>
/// <param name="S0">First xoshiro256** word.</param>
/// <param name="S1">Second word.</param>
/// <param name="S2">Third word.</param>
/// <param name="S3">Fourth word.</param>
/// <param name="SpareNormal">The second Box–Muller deviate cached by <see cref="SeededRandom.NextNormal"/>, or null when none is cached.</param>
public readonly record struct SeededRandomState(ulong S0, ulong S1, ulong S2, ulong S3, double? SpareNormal);
