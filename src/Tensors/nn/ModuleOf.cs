// Typed modules with a forward function (TorchSharp's Module<T, TResult>): call(x) runs forward(x).
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>A module with one input and a forward function.</summary>
        /// <typeparam name="TIn">Input type (usually <see cref="Tensor"/>).</typeparam>
        /// <typeparam name="TOut">Output type.</typeparam>
        public abstract class Module<TIn, TOut> : Module
        {
            /// <summary>The computation of this module.</summary>
            public abstract TOut forward(TIn input);

            /// <summary>Runs <see cref="forward"/> (the place where hooks would run).</summary>
            public TOut call(TIn input) => forward(input);
        }

        /// <summary>A module with two inputs and a forward function.</summary>
        /// <typeparam name="T1">First input type.</typeparam>
        /// <typeparam name="T2">Second input type.</typeparam>
        /// <typeparam name="TOut">Output type.</typeparam>
        public abstract class Module<T1, T2, TOut> : Module
        {
            /// <summary>The computation of this module.</summary>
            public abstract TOut forward(T1 input1, T2 input2);

            /// <summary>Runs <see cref="forward"/>.</summary>
            public TOut call(T1 input1, T2 input2) => forward(input1, input2);
        }
    }
}
