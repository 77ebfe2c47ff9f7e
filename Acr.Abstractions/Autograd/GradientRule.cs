namespace Acr.Autograd;

/// <summary>
/// The backward rule of one differentiable operation, recorded on the <see cref="Tape"/> by its forward
/// function in <see cref="Ops"/>. Rules are stateless singletons (everything a call needs sits in the
/// <see cref="TapeEntry"/>) and each states how it is checked: <see cref="GradientChecks"/> gives inputs for
/// the finite-difference checker, and the test suite enumerates every rule (<see cref="Discover"/>) on
/// every backend, so a differentiable op cannot ship without a gradient check.
/// </summary>
/// <param name="name">The differentiable op's name, e.g. <c>linear</c>.</param>
public abstract class GradientRule(string name)
{
    /// <summary>The differentiable op's name, e.g. <c>linear</c>.</summary>
    public string Name { get; } = name;

    /// <summary>
    /// Propagates <c>entry.Output.Grad</c> to the inputs that require a gradient, using
    /// <see cref="Tape.GradientFor"/> so that several consumers of one input accumulate.
    /// </summary>
    /// <param name="tape">The tape running the backward pass.</param>
    /// <param name="entry">The recorded operation.</param>
    public abstract void Backward(Tape tape, in TapeEntry entry);

    /// <summary>Graphs and inputs on which the analytic gradient must match central finite differences.</summary>
    public abstract IEnumerable<GradientCheck> GradientChecks();

    /// <summary>Every rule singleton (a public static <c>Instance</c> property) in <paramref name="assembly"/>, by name.</summary>
    /// <param name="assembly">The assembly to search.</param>
    public static IReadOnlyList<GradientRule> Discover(System.Reflection.Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsClass: true } && t.IsSubclassOf(typeof(GradientRule)))
            .Select(t => t.GetProperty("Instance", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.FlattenHierarchy)?.GetValue(null) as GradientRule)
            .OfType<GradientRule>()
            .OrderBy(r => r.Name, StringComparer.Ordinal)
            .ToArray();
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>The base of a rule: <typeparamref name="TSelf"/>, the rule's own type, gets one process-wide <see cref="Instance"/>.</summary>
/// <typeparam name="TSelf">The rule's type.</typeparam>
/// <param name="name">The differentiable op's name.</param>
public abstract class GradientRule<TSelf>(string name) : GradientRule(name)
    where TSelf : GradientRule<TSelf>, new()
{
    /// <summary>The rule.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1000:Do not declare static members on generic types", Justification = "The singleton of each rule type.")]
    public static TSelf Instance { get; } = new();
}
