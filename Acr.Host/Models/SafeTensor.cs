using System.Diagnostics.CodeAnalysis;

namespace Acr.Host.Models;

/// <summary>One F32 tensor of a <c>.safetensors</c> file.</summary>
/// <param name="Name">The tensor's name (its key in the header).</param>
/// <param name="Shape">The dimensions; empty for a scalar.</param>
/// <param name="Data">The values in row-major (C) order; its length is the product of <paramref name="Shape"/>.</param>
[SuppressMessage("Performance", "CA1819:Properties should not return arrays", Justification = "Tensors are plain containers handed to numeric code.")]
public sealed record SafeTensor(string Name, int[] Shape, float[] Data)
{
    /// <summary>The number of elements, the product of <see cref="Shape"/>.</summary>
    public long ElementCount => Shape.Aggregate(1L, (product, dim) => product * dim);
}
