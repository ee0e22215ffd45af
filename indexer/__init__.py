"""公文 knowledge base: clauses, responsibilities and citations of Chinese policy documents."""
