namespace Acr.Backends.Cpu.Kernels;

// The element-wise operators of ReLU (and backward), the shifted reciprocal (and backward), Axpy and the
// row-vector add; run by ElementWiseDriver and RowBroadcastDriver from the kernels in Ops/.

/// <summary>ReLU: <c>x &gt; 0 ? x : 0</c>, so NaN and −0 map to +0.</summary>
internal readonly struct ReluOperator : IUnaryOperator
{
    public static float Invoke(float x) => x > 0 ? x : 0;

    public static Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x, Vector128<float>.Zero);

    public static Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, Vector256<float>.Zero);

    public static Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, Vector512<float>.Zero);
}

/// <summary>ReLU backward, overwrite: <c>(y, dy) → y &gt; 0 ? dy : 0</c>.</summary>
internal readonly struct ReluBackwardOperator : IBinaryOperator
{
    public static float Invoke(float y, float dy) => y > 0 ? dy : 0;

    public static Vector128<float> Invoke(Vector128<float> y, Vector128<float> dy) => Vector128.ConditionalSelect(Vector128.GreaterThan(y, Vector128<float>.Zero), dy, Vector128<float>.Zero);

    public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => Vector256.ConditionalSelect(Vector256.GreaterThan(y, Vector256<float>.Zero), dy, Vector256<float>.Zero);

    public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => Vector512.ConditionalSelect(Vector512.GreaterThan(y, Vector512<float>.Zero), dy, Vector512<float>.Zero);
}

/// <summary>ReLU backward, accumulate: <c>(y, dy, dx) → dx + (y &gt; 0 ? dy : 0)</c>.</summary>
internal readonly struct ReluBackwardAccumulateOperator : ITernaryOperator
{
    public static float Invoke(float y, float dy, float dx) => dx + (y > 0 ? dy : 0);

    public static Vector128<float> Invoke(Vector128<float> y, Vector128<float> dy, Vector128<float> dx) => dx + ReluBackwardOperator.Invoke(y, dy);

    public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy, Vector256<float> dx) => dx + ReluBackwardOperator.Invoke(y, dy);

    public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy, Vector512<float> dx) => dx + ReluBackwardOperator.Invoke(y, dy);
}

/// <summary>Shifted reciprocal: <c>(x, ε) → 1 / (x + ε)</c>.</summary>
internal readonly struct ShiftedReciprocalOperator : IBinaryOperator
{
    public static float Invoke(float x, float epsilon) => 1f / (x + epsilon);

    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> epsilon) => Vector128<float>.One / (x + epsilon);

    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> epsilon) => Vector256<float>.One / (x + epsilon);

    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> epsilon) => Vector512<float>.One / (x + epsilon);
}

/// <summary>Shifted reciprocal backward, overwrite: <c>(y, dy) → 0 − dy·y·y</c>.</summary>
internal readonly struct ShiftedReciprocalBackwardOperator : IBinaryOperator
{
    public static float Invoke(float y, float dy) => 0f - (dy * y * y);

    public static Vector128<float> Invoke(Vector128<float> y, Vector128<float> dy) => Vector128<float>.Zero - (dy * y * y);

    public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => Vector256<float>.Zero - (dy * y * y);

    public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => Vector512<float>.Zero - (dy * y * y);
}

/// <summary>Shifted reciprocal backward, accumulate: <c>(y, dy, dx) → dx − dy·y·y</c>.</summary>
internal readonly struct ShiftedReciprocalBackwardAccumulateOperator : ITernaryOperator
{
    public static float Invoke(float y, float dy, float dx) => dx - (dy * y * y);

    public static Vector128<float> Invoke(Vector128<float> y, Vector128<float> dy, Vector128<float> dx) => dx - (dy * y * y);

    public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy, Vector256<float> dx) => dx - (dy * y * y);

    public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy, Vector512<float> dx) => dx - (dy * y * y);
}

/// <summary>Axpy: <c>(x, y, α) → y + α·x</c> (unfused, as the contract's formula reads).</summary>
internal readonly struct AxpyOperator : ITernaryOperator
{
    public static float Invoke(float x, float y, float alpha) => y + (alpha * x);

    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y, Vector128<float> alpha) => y + (alpha * x);

    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> alpha) => y + (alpha * x);

    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> alpha) => y + (alpha * x);
}

/// <summary>Row broadcast add: <c>(x, u) → x + u</c>.</summary>
internal readonly struct AddRowOperator : IRowOperator
{
    public static float Invoke(float x, float u, float v, float w) => x + u;

    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> u, Vector128<float> v, Vector128<float> w) => x + u;

    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> u, Vector256<float> v, Vector256<float> w) => x + u;

    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> u, Vector512<float> v, Vector512<float> w) => x + u;
}
