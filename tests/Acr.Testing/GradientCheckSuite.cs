using Acr.Autograd;
using Acr.Compute;
using Acr.Numerics;
using Acr.Tensors;

namespace Acr.Testing;

/// <summary>
/// Finite-difference gradient checks of every differentiable op, on the backend under test. Every
/// <see cref="GradientRule"/> of the contract is found by reflection and must bring at least one check; each is
/// run with central differences in float32 (<see cref="GradientChecker"/>). A backend subclasses the suite with a factory.
/// </summary>
public abstract class GradientCheckSuite : IDisposable
{
    /// <summary>Creates the suite over a backend made by <paramref name="factory"/>.</summary>
    protected GradientCheckSuite(Func<ComputeBackend> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Backend = factory();
    }

    /// <summary>The backend under test.</summary>
    protected ComputeBackend Backend { get; }

    /// <summary>Every gradient rule of the contract, by name.</summary>
    public static TheoryData<string> ContractRules()
    {
        var data = new TheoryData<string>();
        foreach (var rule in GradientRule.Discover(typeof(GradientRule).Assembly))
        {
            data.Add(rule.Name);
        }

        return data;
    }

    /// <summary>Disposes the backend under test (and what the suite allocated).</summary>
    public void Dispose()
    {
        Backend.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Asserts every check of <paramref name="rule"/> passes on <paramref name="backend"/>.</summary>
    public static void AssertPasses(GradientRule rule, ComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var checks = rule.GradientChecks().ToArray();
        Assert.True(checks.Length > 0, $"The differentiable op '{rule.Name}' brings no gradient check.");
        foreach (var check in checks)
        {
            var result = GradientChecker.Run(backend, check);
            Assert.True(result.Passed, $"{rule.Name} [{check.Name}] on {backend.Name}: gradient mismatch at {result.Where} (excess {result.Excess:G3})");
        }
    }

    /// <summary>Checks: Analytic gradient matches finite differences.</summary>
    /// <param name="rule">The gradient rule's name (one case per rule of the contract).</param>
    [Theory]
    [MemberData(nameof(ContractRules))]
    public void Analytic_gradient_matches_finite_differences(string rule) =>
        AssertPasses(GradientRule.Discover(typeof(GradientRule).Assembly).Single(r => r.Name == rule), Backend);

    /// <summary>Checks: Composite two layer network with segments.</summary>
    [Fact]
    public void Composite_two_layer_network_with_segments()
    {
        var rng = new SeededRandom(8);
        var check = new GradientCheck("linear → batch norm → distance → reciprocal",
            [GradientLeaf.Random(rng, TensorShape.Matrix(10, 3)), GradientLeaf.Random(rng, TensorShape.Matrix(4, 3)), GradientLeaf.Random(rng, TensorShape.Vector(4)),
             GradientLeaf.Random(rng, TensorShape.Vector(4), 0.5f, 1.5f), GradientLeaf.Random(rng, TensorShape.Vector(4)), GradientLeaf.Random(rng, TensorShape.Vector(4))],
            (t, v, segments) =>
            {
                var h1 = Ops.Linear(t, v[0], v[1], v[2]);
                var bn = Ops.BatchNorm(t, h1, segments!, v[3], v[4], 1e-5f);
                var d = Ops.RowSquaredDistance(t, bn, v[5]);
                return Ops.ShiftedReciprocal(t, d, 1f);
            })
        { Step = 5e-3, Segments = [5, 5] };
        var result = GradientChecker.Run(Backend, check);
        Assert.True(result.Passed, $"gradient mismatch at {result.Where} (excess {result.Excess:G3})");
    }

    /// <summary>Checks: The checker catches a wrong gradient.</summary>
    [Fact]
    public void The_checker_catches_a_wrong_gradient()
    {
        // A rule that doubles the true gradient must fail: the checker is not vacuous.
        var check = new GradientCheck("x·2 with a doubled gradient", [GradientLeaf.Random(new SeededRandom(9), TensorShape.Vector(6))],
            (t, v, _) => WrongRule.Apply(t, v[0]));
        Assert.False(GradientChecker.Run(Backend, check).Passed);
    }

    /// <summary>y = 2x whose backward claims dy·4.</summary>
    private sealed class WrongRule() : GradientRule<WrongRule>("wrong")
    {
        public static Variable Apply(Tape tape, Variable x)
        {
            var y = tape.NewVariable(x.Shape, x.RequiresGrad);
            tape.Backend.Fill(y.Value, 0f);
            tape.Backend.Axpy(2f, x.Value, y.Value);
            tape.Record(new TapeEntry(Instance, y, x));
            return y;
        }

        public override void Backward(Tape tape, in TapeEntry entry)
        {
            var dx = tape.GradientFor(entry.A, out var acc);
            if (!acc)
            {
                tape.Backend.Fill(dx, 0f);
            }

            tape.Backend.Axpy(4f, entry.Output.Grad!, dx);
        }

        public override IEnumerable<GradientCheck> GradientChecks() => [];
    }
}
