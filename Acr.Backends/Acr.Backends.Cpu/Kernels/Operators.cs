namespace Acr.Backends.Cpu.Kernels;

// Operators in the style of System.Numerics.Tensors: stateless structs whose static members give the
// same lane-wise function for a scalar and for every vector width. ElementWiseDriver.Loop writes the loop, its
// vector-width dispatch and its tail exactly once, over bodies (IElementWiseBody) that bind an operator to its
// operands; ElementWiseDriver and RowBroadcastDriver run it.
// Every operator must compute bit-identical values in its scalar and vector forms (no FMA in one form
// only), so where the vector loop ends never changes a result.

/// <summary><c>y = f(x)</c>.</summary>
internal interface IUnaryOperator
{
    /// <summary>Scalar form.</summary>
    static abstract float Invoke(float x);

    /// <summary>128-bit form.</summary>
    static abstract Vector128<float> Invoke(Vector128<float> x);

    /// <summary>256-bit form.</summary>
    static abstract Vector256<float> Invoke(Vector256<float> x);

    /// <summary>512-bit form.</summary>
    static abstract Vector512<float> Invoke(Vector512<float> x);
}

/// <summary><c>z = f(x, y)</c>; also used with a scalar <c>y</c> broadcast to every lane.</summary>
internal interface IBinaryOperator
{
    /// <summary>Scalar form.</summary>
    static abstract float Invoke(float x, float y);

    /// <summary>128-bit form.</summary>
    static abstract Vector128<float> Invoke(Vector128<float> x, Vector128<float> y);

    /// <summary>256-bit form.</summary>
    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);

    /// <summary>512-bit form.</summary>
    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}

/// <summary><c>w = f(x, y, z)</c>.</summary>
internal interface ITernaryOperator
{
    /// <summary>Scalar form.</summary>
    static abstract float Invoke(float x, float y, float z);

    /// <summary>128-bit form.</summary>
    static abstract Vector128<float> Invoke(Vector128<float> x, Vector128<float> y, Vector128<float> z);

    /// <summary>256-bit form.</summary>
    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> z);

    /// <summary>512-bit form.</summary>
    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> z);
}

/// <summary>
/// <c>y[i, j] = f(x[i, j], u[j], v[j], w[j])</c>: an element-wise function of a matrix element and up to
/// three per-column vectors (unused ones are ignored by the operator).
/// </summary>
internal interface IRowOperator
{
    /// <summary>Scalar form.</summary>
    static abstract float Invoke(float x, float u, float v, float w);

    /// <summary>128-bit form.</summary>
    static abstract Vector128<float> Invoke(Vector128<float> x, Vector128<float> u, Vector128<float> v, Vector128<float> w);

    /// <summary>256-bit form.</summary>
    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> u, Vector256<float> v, Vector256<float> w);

    /// <summary>512-bit form.</summary>
    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> u, Vector512<float> v, Vector512<float> w);
}

/// <summary>
/// An element-wise kernel bound to its operands (pointers, scalars): computes and stores the elements from index
/// <c>i</c> at one width. Implemented by readonly structs, so <see cref="ElementWiseDriver.Loop{TBody}"/> is
/// specialised and inlined for each.
/// </summary>
internal interface IElementWiseBody
{
    /// <summary>Elements <c>[i, i + 16)</c> as one Vector512.</summary>
    void At512(nint i);

    /// <summary>Elements <c>[i, i + 8)</c> as one Vector256.</summary>
    void At256(nint i);

    /// <summary>Elements <c>[i, i + 4)</c> as one Vector128.</summary>
    void At128(nint i);

    /// <summary>Element <c>i</c>.</summary>
    void At(nint i);
}
