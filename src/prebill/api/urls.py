from ninja import NinjaAPI

api = NinjaAPI(title="prebill API", version="1", urls_namespace="api")
