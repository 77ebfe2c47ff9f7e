namespace Acr.Backends.Cpu.Kernels;

// Width-generic lanes: one-register wrappers over Vector512 and Vector256 (and a float, for scalar tails) with
// the arithmetic the update and reduction kernels share, so a kernel's vector loop is written once, generic over
// the width, and the JIT specialises it per width (the wrappers compile away). .NET 10 keeps its own
// ISimdVector<TSelf, T> internal, hence these. Each operation is the lane-wise operation of the wrapped type,
// so a loop written over these computes the same bits it did when spelt out per width.

/// <summary>Float lanes of one width: the loads, stores and arithmetic of <c>Vector512&lt;float&gt;</c>, <c>Vector256&lt;float&gt;</c> or <c>float</c>.</summary>
/// <typeparam name="TSelf">The implementing wrapper.</typeparam>
internal unsafe interface IFloatLanes<TSelf>
    where TSelf : unmanaged, IFloatLanes<TSelf>
{
    /// <summary>Whether this width runs in hardware here.</summary>
    static abstract bool IsHardwareAccelerated { get; }

    /// <summary>Number of lanes.</summary>
    static abstract int Count { get; }

    /// <summary>All lanes zero.</summary>
    static abstract TSelf Zero { get; }

    /// <summary>Loads <see cref="Count"/> floats from <paramref name="source"/>.</summary>
    static abstract TSelf Load(float* source);

    /// <summary>Every lane <paramref name="value"/>.</summary>
    static abstract TSelf Create(float value);

    /// <summary>Lane-wise <c>key == 0 ? ifZero : otherwise</c> (NaN is not zero; −0 is).</summary>
    static abstract TSelf SelectWhereZero(TSelf key, TSelf ifZero, TSelf otherwise);

    /// <summary>Lane-wise square root.</summary>
    static abstract TSelf Sqrt(TSelf x);

    /// <summary>Lane-wise sum.</summary>
    static abstract TSelf operator +(TSelf x, TSelf y);

    /// <summary>Lane-wise difference.</summary>
    static abstract TSelf operator -(TSelf x, TSelf y);

    /// <summary>Lane-wise product.</summary>
    static abstract TSelf operator *(TSelf x, TSelf y);

    /// <summary>Lane-wise quotient.</summary>
    static abstract TSelf operator /(TSelf x, TSelf y);

    /// <summary>Stores the lanes at <paramref name="destination"/>.</summary>
    void Store(float* destination);
}

/// <summary>Float lanes that widen to two <typeparamref name="TDouble"/> (lower lanes first) and narrow back.</summary>
/// <typeparam name="TSelf">The implementing wrapper.</typeparam>
/// <typeparam name="TDouble">Double lanes of the same width.</typeparam>
internal interface IWideningFloatLanes<TSelf, TDouble> : IFloatLanes<TSelf>
    where TSelf : unmanaged, IWideningFloatLanes<TSelf, TDouble>
    where TDouble : unmanaged, IDoubleLanes<TDouble>
{
    /// <summary>The lanes converted to double (exactly), lower half first.</summary>
    static abstract (TDouble Low, TDouble High) Widen(TSelf x);

    /// <summary>Two double vectors rounded to float, <paramref name="low"/> into the lower lanes.</summary>
    static abstract TSelf Narrow(TDouble low, TDouble high);
}

/// <summary>Double lanes of one width: the loads, stores and arithmetic of <c>Vector512&lt;double&gt;</c> or <c>Vector256&lt;double&gt;</c>.</summary>
/// <typeparam name="TSelf">The implementing wrapper.</typeparam>
internal unsafe interface IDoubleLanes<TSelf>
    where TSelf : unmanaged, IDoubleLanes<TSelf>
{
    /// <summary>Number of lanes.</summary>
    static abstract int Count { get; }

    /// <summary>All lanes zero.</summary>
    static abstract TSelf Zero { get; }

    /// <summary>Loads <see cref="Count"/> doubles from <paramref name="source"/>.</summary>
    static abstract TSelf Load(double* source);

    /// <summary>Every lane <paramref name="value"/>.</summary>
    static abstract TSelf Create(double value);

    /// <summary>The sum of the lanes, in the wrapped type's order.</summary>
    static abstract double Sum(TSelf x);

    /// <summary>Lane-wise sum.</summary>
    static abstract TSelf operator +(TSelf x, TSelf y);

    /// <summary>Lane-wise difference.</summary>
    static abstract TSelf operator -(TSelf x, TSelf y);

    /// <summary>Lane-wise product.</summary>
    static abstract TSelf operator *(TSelf x, TSelf y);

    /// <summary>Stores the lanes at <paramref name="destination"/>.</summary>
    void Store(double* destination);

    /// <summary>Adds the lanes to the <see cref="Count"/> doubles at <paramref name="destination"/> (<c>destination + this</c>, stored back).</summary>
    void AddTo(double* destination);
}

/// <summary>16 float lanes: <c>Vector512&lt;float&gt;</c>.</summary>
/// <param name="value">The lanes.</param>
internal readonly unsafe struct Float512(Vector512<float> value) : IWideningFloatLanes<Float512, Double512>
{
    /// <summary>The lanes.</summary>
    public readonly Vector512<float> Value = value;

    public static bool IsHardwareAccelerated => Vector512.IsHardwareAccelerated;

    public static int Count => Vector512<float>.Count;

    public static Float512 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Load(float* source) => new(Vector512.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Create(float value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 SelectWhereZero(Float512 key, Float512 ifZero, Float512 otherwise) =>
        new(Vector512.ConditionalSelect(Vector512.Equals(key.Value, Vector512<float>.Zero), ifZero.Value, otherwise.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Sqrt(Float512 x) => new(Vector512.Sqrt(x.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Double512 Low, Double512 High) Widen(Float512 x)
    {
        var (low, high) = Vector512.Widen(x.Value);
        return (new(low), new(high));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Narrow(Double512 low, Double512 high) => new(Vector512.Narrow(low.Value, high.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 operator +(Float512 x, Float512 y) => new(x.Value + y.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 operator -(Float512 x, Float512 y) => new(x.Value - y.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 operator *(Float512 x, Float512 y) => new(x.Value * y.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 operator /(Float512 x, Float512 y) => new(x.Value / y.Value);



    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(float* destination) => Value.Store(destination);
}

/// <summary>8 float lanes: <c>Vector256&lt;float&gt;</c>.</summary>
/// <param name="value">The lanes.</param>
internal readonly unsafe struct Float256(Vector256<float> value) : IWideningFloatLanes<Float256, Double256>
{
    /// <summary>The lanes.</summary>
    public readonly Vector256<float> Value = value;

    public static bool IsHardwareAccelerated => Vector256.IsHardwareAccelerated;

    public static int Count => Vector256<float>.Count;

    public static Float256 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Load(float* source) => new(Vector256.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Create(float value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 SelectWhereZero(Float256 key, Float256 ifZero, Float256 otherwise) =>
        new(Vector256.ConditionalSelect(Vector256.Equals(key.Value, Vector256<float>.Zero), ifZero.Value, otherwise.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Sqrt(Float256 x) => new(Vector256.Sqrt(x.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Double256 Low, Double256 High) Widen(Float256 x)
    {
        var (low, high) = Vector256.Widen(x.Value);
        return (new(low), new(high));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Narrow(Double256 low, Double256 high) => new(Vector256.Narrow(low.Value, high.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 operator +(Float256 x, Float256 y) => new(x.Value + y.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 operator -(Float256 x, Float256 y) => new(x.Value - y.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 operator *(Float256 x, Float256 y) => new(x.Value * y.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 operator /(Float256 x, Float256 y) => new(x.Value / y.Value);



    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(float* destination) => Value.Store(destination);
}

/// <summary>One float lane, for the scalar tail of a loop written over <see cref="IFloatLanes{TSelf}"/>.</summary>
/// <param name="value">The lane.</param>
internal readonly unsafe struct Float1(float value) : IFloatLanes<Float1>
{
    /// <summary>The lane.</summary>
    public readonly float Value = value;

    public static bool IsHardwareAccelerated => true;

    public static int Count => 1;

    public static Float1 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float1 Load(float* source) => new(*source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float1 Create(float value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float1 SelectWhereZero(Float1 key, Float1 ifZero, Float1 otherwise) => key.Value == 0 ? ifZero : otherwise;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float1 Sqrt(Float1 x) => new(MathF.Sqrt(x.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float1 operator +(Float1 x, Float1 y) => new(x.Value + y.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float1 operator -(Float1 x, Float1 y) => new(x.Value - y.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float1 operator *(Float1 x, Float1 y) => new(x.Value * y.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float1 operator /(Float1 x, Float1 y) => new(x.Value / y.Value);



    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(float* destination) => *destination = Value;
}

/// <summary>8 double lanes: <c>Vector512&lt;double&gt;</c>.</summary>
/// <param name="value">The lanes.</param>
internal readonly unsafe struct Double512(Vector512<double> value) : IDoubleLanes<Double512>
{
    /// <summary>The lanes.</summary>
    public readonly Vector512<double> Value = value;

    public static int Count => Vector512<double>.Count;

    public static Double512 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Load(double* source) => new(Vector512.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Create(double value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Double512 x) => Vector512.Sum(x.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 operator +(Double512 x, Double512 y) => new(x.Value + y.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 operator -(Double512 x, Double512 y) => new(x.Value - y.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 operator *(Double512 x, Double512 y) => new(x.Value * y.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(double* destination) => Value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddTo(double* destination) => (Vector512.Load(destination) + Value).Store(destination);
}

/// <summary>4 double lanes: <c>Vector256&lt;double&gt;</c>.</summary>
/// <param name="value">The lanes.</param>
internal readonly unsafe struct Double256(Vector256<double> value) : IDoubleLanes<Double256>
{
    /// <summary>The lanes.</summary>
    public readonly Vector256<double> Value = value;

    public static int Count => Vector256<double>.Count;

    public static Double256 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Load(double* source) => new(Vector256.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Create(double value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Double256 x) => Vector256.Sum(x.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 operator +(Double256 x, Double256 y) => new(x.Value + y.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 operator -(Double256 x, Double256 y) => new(x.Value - y.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 operator *(Double256 x, Double256 y) => new(x.Value * y.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(double* destination) => Value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddTo(double* destination) => (Vector256.Load(destination) + Value).Store(destination);
}
