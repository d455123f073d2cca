def test_home_redirects_anonymous_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_manager_sees_own_base_only(world, login_as):
    client = login_as(world.manager_a)
    assert client.get(f"/bases/{world.base_a.id}").status_code == 200
    assert client.get(f"/bases/{world.base_b.id}").status_code == 404
