using Acr.Compute;
using Acr.Tensors;

namespace Acr.Testing;

/// <summary>
/// The scalar reference every backend is checked against: the contract's formulas written as plainly
/// as possible, with double-precision accumulation. Slow on purpose; never used outside tests.
/// </summary>
public sealed class ReferenceBackend : IComputeBackend
{
    private sealed class HostBuffer(int capacity) : DeviceBuffer(capacity)
    {
        public readonly float[] Data = new float[capacity];
    }

    public string Name => "reference";

    public DeviceDescriptor Device { get; } = new("reference", 0, "scalar reference", true, null, new Dictionary<string, string>());

    public static float[] Of(Tensor t) => ((HostBuffer)t.Buffer).Data;

    public Tensor Allocate(TensorShape shape) => new(this, new HostBuffer(shape.Length), shape);

    public void Release(DeviceBuffer buffer)
    {
    }

    public void Upload(ReadOnlySpan<float> source, Tensor destination)
    {
        if (source.Length != destination.Length) throw new ArgumentException("length");
        source.CopyTo(Of(destination));
    }

    public void Download(Tensor source, Span<float> destination)
    {
        if (destination.Length != source.Length) throw new ArgumentException("length");
        Of(source).AsSpan(0, source.Length).CopyTo(destination);
    }

    public void Fill(Tensor tensor, float value) => Of(tensor).AsSpan(0, tensor.Length).Fill(value);

    public void Copy(Tensor source, Tensor destination)
    {
        if (source.Length != destination.Length) throw new ArgumentException("length");
        Of(source).AsSpan(0, source.Length).CopyTo(Of(destination));
    }

    public void Synchronize()
    {
    }

    public void Gemm(bool transposeA, bool transposeB, float alpha, Tensor a, Tensor b, float beta, Tensor c)
    {
        int m = c.Shape.Rows, n = c.Shape.Columns;
        var k = transposeA ? a.Shape.Rows : a.Shape.Columns;
        if ((transposeA ? a.Shape.Columns : a.Shape.Rows) != m || (transposeB ? b.Shape.Rows : b.Shape.Columns) != n
            || (transposeB ? b.Shape.Columns : b.Shape.Rows) != k)
        {
            throw new ArgumentException("gemm shapes");
        }

        float[] A = Of(a), B = Of(b), C = Of(c);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double s = 0;
                for (var p = 0; p < k; p++)
                {
                    var av = transposeA ? A[(p * m) + i] : A[(i * k) + p];
                    var bv = transposeB ? B[(j * k) + p] : B[(p * n) + j];
                    s += (double)av * bv;
                }

                C[(i * n) + j] = (float)((alpha * s) + (beta == 0 ? 0 : beta * (double)C[(i * n) + j]));
            }
        }
    }

    public void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y)
    {
        int n = x.Shape.Rows, k = x.Shape.Columns, outputs = weight.Shape.Rows;
        if (weight.Shape.Columns != k || y.Shape.Rows != n || y.Shape.Columns != outputs || (bias is not null && bias.Length != outputs))
        {
            throw new ArgumentException("linear shapes");
        }

        float[] X = Of(x), W = Of(weight), Y = Of(y);
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < outputs; j++)
            {
                double s = 0;
                for (var p = 0; p < k; p++)
                {
                    s += (double)X[(i * k) + p] * W[(j * k) + p];
                }

                // The product is rounded to float before the bias is added, as the contract states.
                Y[(i * outputs) + j] = bias is null ? (float)s : (float)s + Of(bias)[j];
            }
        }
    }

    public void AddRowVector(Tensor x, Tensor v, Tensor y)
    {
        int r = x.Shape.Rows, c = x.Shape.Columns;
        float[] X = Of(x), V = Of(v), Y = Of(y);
        for (var i = 0; i < r; i++)
        {
            for (var j = 0; j < c; j++)
            {
                Y[(i * c) + j] = X[(i * c) + j] + V[j];
            }
        }
    }

    public void ColumnSum(Tensor x, Tensor y, bool accumulate)
    {
        int r = x.Shape.Rows, c = x.Shape.Columns;
        float[] X = Of(x), Y = Of(y);
        for (var j = 0; j < c; j++)
        {
            double s = accumulate ? Y[j] : 0;
            for (var i = 0; i < r; i++)
            {
                s += X[(i * c) + j];
            }

            Y[j] = (float)s;
        }
    }

    public void Relu(Tensor x, Tensor y)
    {
        float[] X = Of(x), Y = Of(y);
        for (var i = 0; i < x.Length; i++) Y[i] = X[i] > 0 ? X[i] : 0;
    }

    public void ReluBackward(Tensor y, Tensor dy, Tensor dx, bool accumulate)
    {
        float[] Y = Of(y), DY = Of(dy), DX = Of(dx);
        for (var i = 0; i < y.Length; i++) DX[i] = (accumulate ? DX[i] : 0) + (Y[i] > 0 ? DY[i] : 0);
    }

    public void Axpy(float alpha, Tensor x, Tensor y)
    {
        float[] X = Of(x), Y = Of(y);
        for (var i = 0; i < x.Length; i++) Y[i] += alpha * X[i];
    }

    public void ShiftedReciprocal(Tensor x, float epsilon, Tensor y)
    {
        float[] X = Of(x), Y = Of(y);
        for (var i = 0; i < x.Length; i++) Y[i] = 1f / (X[i] + epsilon);
    }

    public void ShiftedReciprocalBackward(Tensor y, Tensor dy, Tensor dx, bool accumulate)
    {
        float[] Y = Of(y), DY = Of(dy), DX = Of(dx);
        for (var i = 0; i < y.Length; i++) DX[i] = (accumulate ? DX[i] : 0) - (DY[i] * Y[i] * Y[i]);
    }

    public void BatchNormForward(Tensor x, BatchSegments segments, Tensor gamma, Tensor beta, float epsilon, Activation activation, Tensor y,
        Tensor mean, Tensor inverseStd, Tensor? runningMean, Tensor? runningVariance, float momentum)
    {
        BatchNormForward(x, segments, gamma, beta, epsilon, y, mean, inverseStd, runningMean, runningVariance, momentum);
        if (activation == Activation.Relu)
        {
            var Y = Of(y);
            for (var i = 0; i < y.Length; i++) Y[i] = Y[i] > 0 ? Y[i] : 0;
        }
        else if (activation != Activation.None)
        {
            throw new ArgumentException("unknown activation");
        }
    }

    public void BatchNormForward(Tensor x, BatchSegments segments, Tensor gamma, Tensor beta, float epsilon, Tensor y, Tensor mean,
        Tensor inverseStd, Tensor? runningMean, Tensor? runningVariance, float momentum)
    {
        var c = x.Shape.Columns;
        float[] X = Of(x), G = Of(gamma), B = Of(beta), Y = Of(y), M = Of(mean), I = Of(inverseStd);
        for (var s = 0; s < segments.Count; s++)
        {
            int start = segments.Start(s), n = segments.Length(s);
            if (n < 2) throw new ArgumentException("segment < 2 rows");
            for (var j = 0; j < c; j++)
            {
                double mu = 0;
                for (var i = start; i < start + n; i++) mu += X[(i * c) + j];
                mu /= n;
                double var = 0;
                for (var i = start; i < start + n; i++)
                {
                    var d = X[(i * c) + j] - mu;
                    var += d * d;
                }

                var /= n;
                var inv = 1.0 / Math.Sqrt(var + epsilon);
                M[(s * c) + j] = (float)mu;
                I[(s * c) + j] = (float)inv;
                for (var i = start; i < start + n; i++)
                {
                    Y[(i * c) + j] = (float)((G[j] * (X[(i * c) + j] - mu) * inv) + B[j]);
                }

                if (runningMean is not null)
                {
                    var rm = Of(runningMean);
                    var rv = Of(runningVariance!);
                    rm[j] = (float)(((1 - momentum) * (double)rm[j]) + (momentum * mu));
                    rv[j] = (float)(((1 - momentum) * (double)rv[j]) + (momentum * var * n / (n - 1)));
                }
            }
        }
    }

    public void BatchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance, float epsilon, Tensor y)
    {
        var c = x.Shape.Columns;
        float[] X = Of(x), G = Of(gamma), B = Of(beta), RM = Of(runningMean), RV = Of(runningVariance), Y = Of(y);
        for (var i = 0; i < x.Shape.Rows; i++)
        {
            for (var j = 0; j < c; j++)
            {
                Y[(i * c) + j] = (float)((G[j] * (X[(i * c) + j] - (double)RM[j]) / Math.Sqrt(RV[j] + (double)epsilon)) + B[j]);
            }
        }
    }

    public void BatchNormBackward(Tensor x, Tensor dy, BatchSegments segments, Tensor gamma, Tensor mean, Tensor inverseStd, Tensor dx,
        bool accumulateInput, Tensor dGamma, Tensor dBeta, bool accumulateParameters)
    {
        var c = x.Shape.Columns;
        float[] X = Of(x), DY = Of(dy), G = Of(gamma), M = Of(mean), I = Of(inverseStd), DX = Of(dx), DG = Of(dGamma), DB = Of(dBeta);
        var dg = new double[c];
        var db = new double[c];
        for (var s = 0; s < segments.Count; s++)
        {
            int start = segments.Start(s), n = segments.Length(s);
            for (var j = 0; j < c; j++)
            {
                double mu = M[(s * c) + j], inv = I[(s * c) + j], m1 = 0, m2 = 0;
                for (var i = start; i < start + n; i++)
                {
                    var xh = (X[(i * c) + j] - mu) * inv;
                    m1 += DY[(i * c) + j];
                    m2 += DY[(i * c) + j] * xh;
                }

                dg[j] += m2;
                db[j] += m1;
                m1 /= n;
                m2 /= n;
                for (var i = start; i < start + n; i++)
                {
                    var xh = (X[(i * c) + j] - mu) * inv;
                    var g = G[j] * inv * (DY[(i * c) + j] - m1 - (xh * m2));
                    DX[(i * c) + j] = (float)((accumulateInput ? DX[(i * c) + j] : 0) + g);
                }
            }
        }

        for (var j = 0; j < c; j++)
        {
            DG[j] = (float)((accumulateParameters ? DG[j] : 0) + dg[j]);
            DB[j] = (float)((accumulateParameters ? DB[j] : 0) + db[j]);
        }
    }

    public void RowSquaredDistance(Tensor z, Tensor center, Tensor distance)
    {
        int n = z.Shape.Rows, d = z.Shape.Columns;
        float[] Z = Of(z), C = Of(center), D = Of(distance);
        for (var i = 0; i < n; i++)
        {
            double s = 0;
            for (var j = 0; j < d; j++)
            {
                var e = Z[(i * d) + j] - (double)C[j];
                s += e * e;
            }

            D[i] = (float)s;
        }
    }

    public void RowSquaredDistanceBackward(Tensor z, Tensor center, Tensor dDistance, Tensor dz, bool accumulateZ, Tensor dCenter, bool accumulateCenter)
    {
        int n = z.Shape.Rows, d = z.Shape.Columns;
        float[] Z = Of(z), C = Of(center), G = Of(dDistance), DZ = Of(dz), DC = Of(dCenter);
        var dc = new double[d];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < d; j++)
            {
                var v = 2.0 * G[i] * (Z[(i * d) + j] - (double)C[j]);
                DZ[(i * d) + j] = (float)((accumulateZ ? DZ[(i * d) + j] : 0) + v);
                dc[j] -= v;
            }
        }

        for (var j = 0; j < d; j++) DC[j] = (float)((accumulateCenter ? DC[j] : 0) + dc[j]);
    }

    public void AcrObjective(Tensor normalTerm, Tensor anomalyTerm, Tensor isAnomaly, Tensor rowWeight, Tensor loss)
    {
        float[] N = Of(normalTerm), A = Of(anomalyTerm), Y = Of(isAnomaly), W = Of(rowWeight);
        double s = 0;
        for (var i = 0; i < normalTerm.Length; i++) s += W[i] * (double)(Y[i] != 0 ? A[i] : N[i]);
        Of(loss)[0] = (float)s;
    }

    public void AcrObjectiveBackward(Tensor isAnomaly, Tensor rowWeight, Tensor dLoss, Tensor dNormal, Tensor dAnomaly, bool accumulate)
    {
        float[] Y = Of(isAnomaly), W = Of(rowWeight), DN = Of(dNormal), DA = Of(dAnomaly);
        var g = Of(dLoss)[0];
        for (var i = 0; i < isAnomaly.Length; i++)
        {
            var v = g * W[i];
            DN[i] = (accumulate ? DN[i] : 0) + (Y[i] != 0 ? 0 : v);
            DA[i] = (accumulate ? DA[i] : 0) + (Y[i] != 0 ? v : 0);
        }
    }

    public void AdamUpdate(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, AdamStep step)
    {
        float[] P = Of(parameter), G = Of(gradient), M = Of(firstMoment), V = Of(secondMoment);
        var bc1 = 1 - Math.Pow(step.Beta1, step.Step);
        var bc2 = 1 - Math.Pow(step.Beta2, step.Step);
        for (var i = 0; i < parameter.Length; i++)
        {
            double g = G[i] + (step.WeightDecay * (double)P[i]);
            double m = (step.Beta1 * (double)M[i]) + ((1 - step.Beta1) * g);
            double v = (step.Beta2 * (double)V[i]) + ((1 - step.Beta2) * g * g);
            M[i] = (float)m;
            V[i] = (float)v;
            P[i] = (float)(P[i] - (step.LearningRate / bc1 * m / ((Math.Sqrt(v) / Math.Sqrt(bc2)) + step.Epsilon)));
        }
    }

    public void Dispose()
    {
    }
}
