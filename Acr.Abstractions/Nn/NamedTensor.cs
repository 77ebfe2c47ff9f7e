namespace Acr.Nn;

/// <summary>One piece of a module's state: a trainable parameter or a buffer (e.g. running statistics).</summary>
/// <param name="Name">Dotted path within the model, e.g. <c>net.0.weight</c>.</param>
/// <param name="Tensor">The tensor.</param>
/// <param name="Parameter">The parameter, or null for a buffer.</param>
public readonly record struct NamedTensor(string Name, Tensor Tensor, Parameter? Parameter);
