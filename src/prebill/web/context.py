from prebill.accounts import roles as role_module

ROLES = {name: getattr(role_module, name) for name in dir(role_module) if name.isupper()}


def roles(request) -> dict:
    """The role tuples of prebill.accounts.roles, for `{% can roles.X as ... %}` in templates."""
    return {"roles": ROLES}
