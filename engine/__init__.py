"""T5 Studio engine: training, generation, evaluation, vectors. Never imports gradio."""
