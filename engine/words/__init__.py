"""Japanese words: spellings and readings (SudachiPy), the bilingual dictionary, and whether a word is the answer in disguise."""
