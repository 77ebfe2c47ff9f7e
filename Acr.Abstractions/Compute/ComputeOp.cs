using System.Reflection;

namespace Acr.Compute;

/// <summary>
/// One operation of the compute contract, as a unit: its exact semantics (in the XML docs of the op
/// class), its argument rules (<see cref="ComputeOp{TArgs}.Validate"/>), its scalar reference
/// (<see cref="ComputeOp{TArgs}.Reference"/>) and its conformance samples. Backends provide kernels for ops;
/// the conformance suite and <c>acr selftest</c> enumerate ops and check every kernel against the reference.
/// </summary>
/// <remarks>
/// An op derives from <see cref="ComputeOp{TSelf, TArgs}"/>, which makes it a singleton (a public static <c>Instance</c>),
/// so <see cref="Discover"/> finds the ops of an assembly without a central list. Plugins define their own ops the same way.
/// </remarks>
public abstract class ComputeOp
{
    private static int s_nextId = -1;

    private protected ComputeOp(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>The op's unique, lower-case, dash-separated name, e.g. <c>gemm</c> or <c>batch-norm-forward</c> (plugins prefix theirs, e.g. <c>knn.scores</c>).</summary>
    public string Name { get; }

    /// <summary>
    /// Whether a backend without a kernel may run the scalar reference on the host instead (true by default).
    /// An op whose reference would be unusably slow at real sizes can refuse.
    /// </summary>
    public virtual bool AllowsHostFallback => true;

    /// <summary>Dense process-wide index of the op type, for kernel tables.</summary>
    internal abstract int Id { get; }

    /// <summary>The next op index.</summary>
    internal static int NextId() => Interlocked.Increment(ref s_nextId);

    /// <summary>Checks the op on <paramref name="backend"/> against the scalar reference, sample by sample.</summary>
    /// <param name="backend">The backend under test.</param>
    /// <returns>One report: how many samples ran and what failed.</returns>
    public abstract OpConformanceReport CheckConformance(ComputeBackend backend);

    /// <summary>Every op singleton (public static <c>Instance</c> property of a <see cref="ComputeOp"/> subclass) in <paramref name="assembly"/>, by name.</summary>
    /// <param name="assembly">The assembly to search.</param>
    public static IReadOnlyList<ComputeOp> Discover(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsClass: true } && t.IsSubclassOf(typeof(ComputeOp)))
            .Select(t => t.GetProperty("Instance", BindingFlags.Public | BindingFlags.Static | BindingFlags.FlattenHierarchy)?.GetValue(null) as ComputeOp)
            .OfType<ComputeOp>()
            .OrderBy(op => op.Name, StringComparer.Ordinal)
            .ToArray();
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>An op whose arguments are <typeparamref name="TArgs"/> (a readonly record struct of tensors and scalars).</summary>
/// <typeparam name="TArgs">The arguments.</typeparam>
public abstract class ComputeOp<TArgs> : ComputeOp
    where TArgs : struct
{
    private protected ComputeOp(string name)
        : base(name)
    {
    }

    /// <summary>
    /// Checks every rule of the arguments — ownership, element types, shapes, aliasing, segments — and throws
    /// <see cref="ArgumentException"/> naming the first broken one. Runs once per call, before any kernel.
    /// </summary>
    /// <param name="check">Validation helpers bound to the backend and this op's name.</param>
    /// <param name="args">The arguments.</param>
    protected internal abstract void Validate(OpValidator check, in TArgs args);

    /// <summary>
    /// The op's semantics as plain scalar code with double-precision accumulation: the reference every kernel
    /// is checked against, and what runs on a backend without a kernel.
    /// </summary>
    /// <param name="args">Validated arguments.</param>
    /// <param name="host">Host views of the tensors.</param>
    protected internal abstract void Reference(in TArgs args, HostTensors host);

    /// <summary>
    /// Representative inputs covering every code path a kernel may take (vector widths and tails, parallel
    /// sizes, in-place and accumulate variants, NaN and infinities where the semantics say what happens).
    /// </summary>
    protected abstract IEnumerable<OpSample<TArgs>> Samples();

    /// <inheritdoc />
    public sealed override OpConformanceReport CheckConformance(ComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        using var reference = new ReferenceBackend();
        var failures = new List<string>();
        var count = 0;
        foreach (var sample in Samples())
        {
            count++;
            var failure = sample.Check(this, backend, reference);
            if (failure is not null)
            {
                failures.Add(failure);
                if (failures.Count >= 5)
                {
                    break;
                }
            }
        }

        return new OpConformanceReport(Name, backend.Name, count, failures);
    }
}

/// <summary>
/// The base of every op: <typeparamref name="TSelf"/> is the op's own type, which gets one process-wide
/// <see cref="Instance"/> and one kernel-table index (every instance of the type is the same op).
/// </summary>
/// <typeparam name="TSelf">The op's type.</typeparam>
/// <typeparam name="TArgs">Its arguments.</typeparam>
public abstract class ComputeOp<TSelf, TArgs> : ComputeOp<TArgs>
    where TSelf : ComputeOp<TSelf, TArgs>, new()
    where TArgs : struct
{
    private static readonly int TypeId = NextId();

    /// <summary>Creates the op (once per type: see <see cref="Instance"/>).</summary>
    /// <param name="name">Its unique name.</param>
    protected ComputeOp(string name)
        : base(name)
    {
    }

    /// <summary>The op.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1000:Do not declare static members on generic types", Justification = "The singleton of each op type.")]
    public static TSelf Instance { get; } = new();

    /// <inheritdoc />
    internal sealed override int Id => TypeId;
}

/// <summary>The result of <see cref="ComputeOp.CheckConformance"/>.</summary>
/// <param name="Op">The op.</param>
/// <param name="Backend">The backend checked.</param>
/// <param name="Samples">Samples run.</param>
/// <param name="Failures">What differed from the reference (empty when the kernel conforms; at most the first five).</param>
public sealed record OpConformanceReport(string Op, string Backend, int Samples, IReadOnlyList<string> Failures)
{
    /// <summary>Whether every sample matched the reference.</summary>
    public bool Passed => Failures.Count == 0 && Samples > 0;
}
