namespace Acr.Compute;

/// <summary>An element-wise activation a backend applies in the same pass as the op it is fused into.</summary>
public enum Activation
{
    /// <summary>No activation: the op's own output.</summary>
    None = 0,

    /// <summary><c>max(v, 0)</c>, with NaN mapped to 0, exactly as <see cref="ReluOp"/>.</summary>
    Relu = 1,
}
